# The Python package (python/nnstate, pure Python) is installed with the library:
#   <prefix>/${NNSTATE_PYTHON_INSTALL_DIR}/nnstate
# The default, lib/python3.<minor>/dist-packages for the Python that the tests use, is on the
# module path of Debian's python3 for the prefix /usr/local (the default prefix); for other
# prefixes add it to PYTHONPATH. The package records the library's path relative to itself
# (_installed_library.py), so it loads the installed library without NNSTATE_LIBRARY or
# LD_LIBRARY_PATH, wherever the prefix is moved.
include(GNUInstallDirs)
if(EXISTS /usr/bin/python3)
  set(NNSTATE_DEBIAN_PYTHON3 /usr/bin/python3)
else()
  find_program(NNSTATE_DEBIAN_PYTHON3 python3)
endif()
set(_nnstate_python_dir lib/python3/dist-packages)
if(NNSTATE_DEBIAN_PYTHON3)
  execute_process(COMMAND ${NNSTATE_DEBIAN_PYTHON3} -c
    "import sys; print(f'lib/python{sys.version_info[0]}.{sys.version_info[1]}/dist-packages')"
    OUTPUT_VARIABLE _nnstate_python_dir OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    set(_nnstate_python_dir lib/python3/dist-packages)
  endif()
endif()
set(NNSTATE_PYTHON_INSTALL_DIR "${_nnstate_python_dir}" CACHE STRING
  "Where cmake --install puts the Python package, relative to the prefix")

file(RELATIVE_PATH _nnstate_libdir_from_package "/${NNSTATE_PYTHON_INSTALL_DIR}/nnstate"
  "/${CMAKE_INSTALL_LIBDIR}")
string(REGEX REPLACE "/$" "" _nnstate_libdir_from_package "${_nnstate_libdir_from_package}")
file(GENERATE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/python/_installed_library.py CONTENT
  "# Written by CMake: the installed libnnstate, relative to this package's directory.
PATH_FROM_PACKAGE = \"${_nnstate_libdir_from_package}/$<TARGET_SONAME_FILE_NAME:nnstate>\"
")
install(DIRECTORY python/nnstate DESTINATION ${NNSTATE_PYTHON_INSTALL_DIR}
  FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/python/_installed_library.py
  DESTINATION ${NNSTATE_PYTHON_INSTALL_DIR}/nnstate)
