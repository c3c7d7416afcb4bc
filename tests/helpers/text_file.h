/* Reading a whole result file of the kill/resume helpers (crash_resume, finetune_kill_resume). */
#ifndef TEXT_FILE_H
#define TEXT_FILE_H

/* The file's bytes, NUL-terminated, in memory the caller frees; NULL when it cannot be read. */
char *read_text_file(const char *path);

#endif
