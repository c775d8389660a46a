/*
 * corral-holder: the parent of one workload, so the workload outlives the agent (live restore).
 *
 *   corral-holder DIR FILE ARGV0 [ARG...]
 *     DIR      the workload's folder: stdout.fifo, stderr.fifo (its output) and exit (written here)
 *     fd 1, 2  the workload's stdout/stderr (those FIFOs, read-write; passed on to the workload)
 *     fd 3     the gate: the workload execs FILE only after reading a line here (the agent
 *              first puts it into its cgroup); EOF instead means "don't run": exit 125
 *     fd 4     the holder writes the workload's pid here, and its exit code when it ends, then closes it
 *              (the code comes before the holder's own exit, which waits for the FIFOs to drain)
 *
 * The workload gets its own session (stop signals its process group). The holder keeps no
 * end of the workload's output, ignores the signals a terminal or group might send it, waits
 * for the workload, and writes its exit code (128+N for signal N) to DIR/exit atomically.
 * It then stays until the FIFOs are empty: a pipe's contents vanish when its last user closes
 * it, so the holder keeps them (read-only, which does not hide EOF from the agent) until an
 * agent has read every line. Its own exit code is the workload's: an agent that is still its
 * parent sees it directly; a restarted agent reads DIR/exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static void write_exit_file(const char *path, int code) {
  char tmp[4096];
  if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) return;
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return;
  char text[16];
  int n = snprintf(text, sizeof text, "%d\n", code);
  if (write(fd, text, (size_t)n) == n && fsync(fd) == 0) {
    close(fd);
    rename(tmp, path);
    return;
  }
  close(fd);
  unlink(tmp);
}

/* Waits until no FIFO holds unread bytes. */
static void wait_drained(const int *fds, int n) {
  for (;;) {
    int pending = 0;
    for (int i = 0; i < n; i++) {
      int bytes = 0;
      if (fds[i] >= 0 && ioctl(fds[i], FIONREAD, &bytes) == 0 && bytes > 0) pending = 1;
    }
    if (!pending) return;
    usleep(50 * 1000);
  }
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: corral-holder DIR FILE ARGV0 [ARG...]\n");
    return 125;
  }
  char path[4096];
  int keep[2];
  const char *fifos[2] = {"stdout.fifo", "stderr.fifo"};
  for (int i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", argv[1], fifos[i]);
    keep[i] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  }
  pid_t child = fork();
  if (child < 0) return 125;
  if (child == 0) {
    setsid();
    close(4);
    char go[8];
    ssize_t n;
    do n = read(3, go, sizeof go); while (n < 0 && errno == EINTR);
    if (n <= 0) _exit(125);
    close(3);
    execv(argv[2], argv + 3);
    _exit(errno == ENOENT ? 127 : 126);
  }
  close(3);
  dprintf(4, "%d\n", (int)child);
  int null = open("/dev/null", O_RDWR);
  if (null >= 0) { dup2(null, 0); dup2(null, 1); dup2(null, 2); if (null > 2) close(null); }
  signal(SIGINT, SIG_IGN);
  signal(SIGTERM, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  int status = 0;
  while (waitpid(child, &status, 0) < 0) {
    if (errno != EINTR) { status = 255 << 8; break; }
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  snprintf(path, sizeof path, "%s/exit", argv[1]);
  write_exit_file(path, code);
  dprintf(4, "%d\n", code); /* EPIPE when no agent listens: SIGPIPE is ignored */
  close(4);
  wait_drained(keep, 2);
  return code;
}
