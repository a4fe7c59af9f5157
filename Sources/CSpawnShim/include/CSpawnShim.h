#ifndef ACCORD_CSPAWNSHIM_H
#define ACCORD_CSPAWNSHIM_H

#include <spawn.h>

/// glibc's closefrom spawn action (2.34 and later): the child closes every descriptor from `from`
/// up before it runs the program. A GNU extension, which Swift's Glibc module does not import.
int accord_spawn_file_actions_addclosefrom(posix_spawn_file_actions_t *actions, int from);

/// pipe2 with O_CLOEXEC: a pipe whose ends no process spawned meanwhile inherits (another GNU
/// extension Swift's Glibc module does not import). 0, or -1 with errno set.
int accord_pipe_cloexec(int ends[2]);

#endif
