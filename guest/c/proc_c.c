/*
 * The C bindings (wasi_ext.h) end to end: posix_spawnp a two-process
 * pipeline of Rust test programs (`proc_child produce 5 | proc_child count`)
 * through a pipe with dup2/close file actions, addopen into a file, waitpid
 * with WNOHANG and ECHILD, kill with SIGKILL and SIGTERM, exit codes,
 * posix_spawn's ENOENT/EACCES, process groups through POSIX_SPAWN_SETPGROUP,
 * getuid/getpwuid/getpwnam, isatty on a pipe, and the working directory
 * handed down through PWD (to a Rust child, and to a C child: `proc_c cwd`
 * prints its getcwd(), set by wasi_ext.c's constructor).
 *
 * Host: grants /t with proc_child (0755), noexec (0644) and this program as
 * proc_c (0755), env PATH=/t; runs as the default user (uid 1000). Prints
 * "ok" last.
 */
#include <wasi_ext.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

extern char **environ;

/* Reads fd to its end into buf (NUL-terminated); returns the length. */
static size_t read_all(int fd, char *buf, size_t size) {
    size_t len = 0;
    for (;;) {
        ssize_t n = read(fd, buf + len, size - 1 - len);
        CHECK(n >= 0);
        if (n == 0) break;
        len += (size_t)n;
        CHECK(len < size - 1);
    }
    buf[len] = '\0';
    return len;
}

static pid_t spawn_with(const char *file, posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr,
                        char *const argv[]) {
    pid_t pid = 0;
    int err = posix_spawnp(&pid, file, fa, attr, argv, environ);
    if (err) {
        fprintf(stderr, "posix_spawnp %s %s: %s\n", file, argv[1], strerror(err));
        exit(1);
    }
    return pid;
}

static pid_t spawn_child(posix_spawn_file_actions_t *fa, posix_spawnattr_t *attr, char *const argv[]) {
    return spawn_with("proc_child", fa, attr, argv);
}

static pid_t spawn_program(const char *file, posix_spawn_file_actions_t *fa, char *const argv[]) {
    return spawn_with(file, fa, NULL, argv);
}

static void pipeline(void) {
    int p[2], out[2];
    CHECK(pipe(p) == 0 && pipe(out) == 0);
    CHECK(isatty(p[0]) == 0 && isatty(p[1]) == 0);

    /* produce 5 2>&1 | count > out */
    posix_spawn_file_actions_t fa;
    CHECK(posix_spawn_file_actions_init(&fa) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, p[1], 1) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, 1, 2) == 0);
    CHECK(posix_spawn_file_actions_addclose(&fa, p[0]) == 0);
    char *produce[] = {"proc_child", "produce", "5", NULL};
    pid_t producer = spawn_child(&fa, NULL, produce);
    posix_spawn_file_actions_destroy(&fa);

    CHECK(posix_spawn_file_actions_init(&fa) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, p[0], 0) == 0);
    CHECK(posix_spawn_file_actions_adddup2(&fa, out[1], 1) == 0);
    char *count[] = {"proc_child", "count", NULL};
    pid_t consumer = spawn_child(&fa, NULL, count);
    posix_spawn_file_actions_destroy(&fa);

    /* Our copies of the write ends must go, or nobody sees end of file. */
    close(p[0]);
    close(p[1]);
    close(out[1]);
    char buf[256];
    read_all(out[0], buf, sizeof buf);
    close(out[0]);
    CHECK(strcmp(buf, "lines=6 first=line 0 last=produced 5\n") == 0);

    int status = -1;
    CHECK(waitpid(producer, &status, 0) == producer);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(waitpid(consumer, &status, 0) == consumer);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    printf("pipeline: %s", buf);
}

static void addopen_and_cwd(void) {
    /* echo > file, opened by the spawn; the child starts in our cwd. */
    CHECK(chdir("/tmp") == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    CHECK(posix_spawn_file_actions_addopen(&fa, 1, "out.txt", O_WRONLY | O_CREAT | O_TRUNC, 0644) == 0);
    char *pwd[] = {"proc_child", "pwd", NULL};
    pid_t pid = spawn_child(&fa, NULL, pwd);
    posix_spawn_file_actions_destroy(&fa);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    int fd = open("/tmp/out.txt", O_RDONLY);
    CHECK(fd >= 0);
    char buf[128];
    read_all(fd, buf, sizeof buf);
    close(fd);
    CHECK(strcmp(buf, "/tmp\n") == 0);
    CHECK(unlink("/tmp/out.txt") == 0);

    /* An addopen that cannot open fails the spawn with its errno. */
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/tmp/missing/file", O_RDONLY, 0);
    pid_t unused;
    CHECK(posix_spawnp(&unused, "proc_child", &fa, NULL, pwd, environ) == ENOENT);
    posix_spawn_file_actions_destroy(&fa);

    /* A C child starts in our directory too (the constructor reads PWD). */
    int p[2];
    CHECK(pipe(p) == 0);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, p[1], 1);
    char *cwd[] = {"proc_c", "cwd", NULL};
    pid = spawn_program("proc_c", &fa, cwd);
    posix_spawn_file_actions_destroy(&fa);
    close(p[1]);
    read_all(p[0], buf, sizeof buf);
    close(p[0]);
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(strcmp(buf, "/tmp\n") == 0);
    CHECK(chdir("/") == 0);
}

static void statuses_and_signals(void) {
    int status;
    char *exit3[] = {"proc_child", "exit", "3", NULL};
    pid_t pid = spawn_child(NULL, NULL, exit3);
    CHECK(wait(&status) == pid);
    CHECK(WIFEXITED(status) && !WIFSIGNALED(status) && WEXITSTATUS(status) == 3);

    char *trap[] = {"proc_child", "trap", NULL};
    pid = spawn_child(NULL, NULL, trap);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);

    char *spin[] = {"proc_child", "spin", NULL};
    pid = spawn_child(NULL, NULL, spin);
    CHECK(waitpid(pid, &status, WNOHANG) == 0);
    CHECK(kill(pid, 0) == 0);
    CHECK(kill(pid, SIGKILL) == 0);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    CHECK(kill(pid, SIGTERM) == -1 && errno == ESRCH);

    /* No children left. */
    errno = 0;
    CHECK(waitpid(-1, &status, 0) == -1 && errno == ECHILD);
    CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
}

static void groups(void) {
    posix_spawnattr_t attr;
    CHECK(posix_spawnattr_init(&attr) == 0);
    CHECK(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP) == 0);
    CHECK(posix_spawnattr_setpgroup(&attr, 0) == 0);
    CHECK(posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSCHEDULER) == EINVAL);
    char *sleeper[] = {"proc_child", "sleep", "20000", NULL};
    pid_t pid = spawn_child(NULL, &attr, sleeper);
    posix_spawnattr_destroy(&attr);
    CHECK(getpgid(pid) == pid);
    CHECK(getpgrp() == getpgid(0) && getpgrp() != pid);
    CHECK(kill(-pid, SIGTERM) == 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
    CHECK(getppid() != getpid());
}

static void spawn_errors(void) {
    pid_t pid;
    char *argv[] = {"x", NULL};
    CHECK(posix_spawnp(&pid, "no-such-program", NULL, NULL, argv, environ) == ENOENT);
    CHECK(posix_spawn(&pid, "/t/no-such-program", NULL, NULL, argv, environ) == ENOENT);
    CHECK(posix_spawn(&pid, "/t/noexec", NULL, NULL, argv, environ) == EACCES);
    CHECK(posix_spawnp(&pid, "noexec", NULL, NULL, argv, environ) == EACCES);
    /* posix_spawn does not search PATH: a bare name is relative to the cwd. */
    CHECK(posix_spawn(&pid, "proc_child", NULL, NULL, argv, environ) == ENOENT);
    CHECK(chdir("/t") == 0);
    char *echo[] = {"proc_child", "echo", "from cwd", NULL};
    CHECK(posix_spawn(&pid, "proc_child", NULL, NULL, echo, environ) == 0);
    int status;
    CHECK(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
    CHECK(chdir("/") == 0);
}

static void users(void) {
    CHECK(getuid() == 1000 && geteuid() == 1000 && getgid() == 1000 && getegid() == 1000);
    struct passwd *pw = getpwuid(getuid());
    CHECK(pw != NULL);
    CHECK(strcmp(pw->pw_name, "user") == 0 && pw->pw_uid == 1000 && pw->pw_gid == 1000);
    CHECK(strcmp(pw->pw_dir, "/home/user") == 0 && strcmp(pw->pw_shell, "/bin/sh") == 0);
    pw = getpwnam("root");
    CHECK(pw != NULL && pw->pw_uid == 0 && strcmp(pw->pw_dir, "/root") == 0);
    errno = 0;
    CHECK(getpwnam("nobody-here") == NULL && errno == 0);
    CHECK(getpwuid(4242) == NULL && errno == 0);
    struct group *gr = getgrgid(1000);
    CHECK(gr != NULL && strcmp(gr->gr_name, "user") == 0 && gr->gr_mem[0] == NULL);

    struct passwd entry, *result;
    char small[4], big[256];
    CHECK(getpwuid_r(0, &entry, small, sizeof small, &result) == ERANGE && result == NULL);
    CHECK(getpwuid_r(0, &entry, big, sizeof big, &result) == 0 && result == &entry);
    CHECK(strcmp(entry.pw_name, "root") == 0);
    CHECK(getpwnam_r("nobody-here", &entry, big, sizeof big, &result) == 0 && result == NULL);
    printf("user: %s uid=%d\n", getpwuid(getuid())->pw_name, (int)getuid());
}

int main(int argc, char **argv) {
    if (argc == 2 && strcmp(argv[1], "cwd") == 0) {
        char *cwd = getcwd(NULL, 0);
        CHECK(cwd != NULL);
        printf("%s\n", cwd);
        return 0;
    }
    pipeline();
    addopen_and_cwd();
    statuses_and_signals();
    groups();
    spawn_errors();
    users();
    int fds[2];
    CHECK(pipe(fds) == 0);
    int copy = dup(fds[1]);
    CHECK(copy > fds[1]);
    CHECK(dup2(fds[0], 100) == 100);
    CHECK(close(copy) == 0 && close(100) == 0 && close(fds[0]) == 0 && close(fds[1]) == 0);
    CHECK(dup(fds[0]) == -1 && errno == EBADF);
    printf("ok\n");
    return 0;
}
