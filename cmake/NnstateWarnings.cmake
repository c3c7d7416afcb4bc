# Warnings and sanitizers applied to every target of the project.
function(nnstate_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra)
  if(NNSTATE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(NNSTATE_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=${NNSTATE_SANITIZE}
                           -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_link_options(${target} PRIVATE -fsanitize=${NNSTATE_SANITIZE})
  endif()
endfunction()
