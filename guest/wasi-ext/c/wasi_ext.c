/*
 * wasi_ext.c — the POSIX functions of wasi_ext.h over capsa's host_process
 * and host_user imports (capsa-abi 0.2, docs/abi.md).
 *
 * Every import returns a WASI errno (0 = success), which in wasi-libc is the
 * errno value itself.
 */
#include "wasi_ext.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ the imports */

#define HOST_PROCESS(name) __attribute__((import_module("host_process"), import_name(#name)))
#define HOST_USER(name) __attribute__((import_module("host_user"), import_name(#name)))

/* One proc_spawn fd action: 12 bytes. */
struct fd_action {
    uint32_t kind; /* ACTION_DUP2 or ACTION_CLOSE */
    uint32_t fd;   /* the child's fd */
    uint32_t src;  /* DUP2: the caller's fd copied into it */
};
#define ACTION_DUP2 0u
#define ACTION_CLOSE 1u
#define MAX_ACTIONS 256

HOST_PROCESS(proc_spawn)
int32_t __wasi_ext_proc_spawn(const char *path, size_t path_len, const char *argv, size_t argv_len, const char *env,
                              size_t env_len, const char *cwd, size_t cwd_len, const struct fd_action *actions,
                              size_t actions_count, uint32_t *pid_out);
HOST_PROCESS(proc_waitpid) int32_t __wasi_ext_proc_waitpid(int32_t pid, uint32_t options, uint32_t *status_out,
                                                           uint32_t *pid_out);
HOST_PROCESS(proc_kill) int32_t __wasi_ext_proc_kill(int32_t pid, uint32_t signal);
HOST_PROCESS(proc_getpid) int32_t __wasi_ext_proc_getpid(uint32_t *pid_out);
HOST_PROCESS(proc_getppid) int32_t __wasi_ext_proc_getppid(uint32_t *pid_out);
HOST_PROCESS(proc_setpgid) int32_t __wasi_ext_proc_setpgid(int32_t pid, int32_t pgid);
HOST_PROCESS(proc_getpgid) int32_t __wasi_ext_proc_getpgid(int32_t pid, uint32_t *pgid_out);
HOST_PROCESS(fd_pipe) int32_t __wasi_ext_fd_pipe(uint32_t *read_fd_out, uint32_t *write_fd_out);
HOST_PROCESS(fd_dup) int32_t __wasi_ext_fd_dup(uint32_t fd, uint32_t *new_fd_out);
HOST_PROCESS(fd_dup2) int32_t __wasi_ext_fd_dup2(uint32_t fd, uint32_t to);

HOST_USER(getuid) int32_t __wasi_ext_getuid(uint32_t *out);
HOST_USER(geteuid) int32_t __wasi_ext_geteuid(uint32_t *out);
HOST_USER(getgid) int32_t __wasi_ext_getgid(uint32_t *out);
HOST_USER(getegid) int32_t __wasi_ext_getegid(uint32_t *out);
HOST_USER(getpwuid) int32_t __wasi_ext_getpwuid(uint32_t uid, char *buf, size_t buf_len, size_t *len_out);
HOST_USER(getpwnam)
int32_t __wasi_ext_getpwnam(const char *name, size_t name_len, char *buf, size_t buf_len, size_t *len_out);
HOST_USER(getgrgid) int32_t __wasi_ext_getgrgid(uint32_t gid, char *buf, size_t buf_len, size_t *len_out);

/* Sets errno from a failed call: returns -1 for the caller to pass on. */
static int fail(int32_t err) {
    errno = err;
    return -1;
}

/* --------------------------------------------------------------- startup */

/* WASI has no working directory: wasi-libc keeps one of its own, starting at
 * "/". capsa passes a spawned child its parent's directory as PWD (see
 * posix_spawn); take it, as the Rust wasi_ext::init does. */
__attribute__((constructor)) static void wasi_ext_init(void) {
    const char *pwd = getenv("PWD");
    if (pwd != NULL && pwd[0] == '/') {
        /* A PWD that is no longer reachable leaves the process at "/". */
        (void)chdir(pwd);
    }
}

/* ------------------------------------------------------- signals and waiting */

int kill(pid_t pid, int sig) {
    if (sig < 0) return fail(EINVAL);
    int32_t err = __wasi_ext_proc_kill(pid, (uint32_t)sig);
    return err ? fail(err) : 0;
}

pid_t waitpid(pid_t pid, int *status, int options) {
    uint32_t raw = 0, child = 0;
    if (options & ~WNOHANG) return fail(EINVAL);
    int32_t err = __wasi_ext_proc_waitpid(pid, (uint32_t)options, &raw, &child);
    if (err) return fail(err);
    if (child != 0 && status != NULL) *status = (int)raw;
    return (pid_t)child;
}

pid_t wait(int *status) {
    return waitpid(-1, status, 0);
}

/* ------------------------------------------------------- ids and groups */

pid_t __wasi_ext_getpid(void) {
    uint32_t pid = 0;
    /* Cannot fail (capsa-abi 0.2); POSIX getpid has no error return. */
    (void)__wasi_ext_proc_getpid(&pid);
    return (pid_t)pid;
}

pid_t getppid(void) {
    uint32_t pid = 0;
    (void)__wasi_ext_proc_getppid(&pid);
    return (pid_t)pid;
}

pid_t getpgid(pid_t pid) {
    uint32_t pgid = 0;
    if (pid < 0) return fail(EINVAL);
    int32_t err = __wasi_ext_proc_getpgid(pid, &pgid);
    return err ? fail(err) : (pid_t)pgid;
}

pid_t getpgrp(void) {
    return getpgid(0);
}

int setpgid(pid_t pid, pid_t pgid) {
    if (pid < 0 || pgid < 0) return fail(EINVAL);
    int32_t err = __wasi_ext_proc_setpgid(pid, pgid);
    return err ? fail(err) : 0;
}

uid_t getuid(void) {
    uint32_t id = 0;
    (void)__wasi_ext_getuid(&id);
    return (uid_t)id;
}

uid_t geteuid(void) {
    uint32_t id = 0;
    (void)__wasi_ext_geteuid(&id);
    return (uid_t)id;
}

gid_t getgid(void) {
    uint32_t id = 0;
    (void)__wasi_ext_getgid(&id);
    return (gid_t)id;
}

gid_t getegid(void) {
    uint32_t id = 0;
    (void)__wasi_ext_getegid(&id);
    return (gid_t)id;
}

/* ------------------------------------------------------- pipes and dup */

int pipe(int fds[2]) {
    uint32_t r = 0, w = 0;
    int32_t err = __wasi_ext_fd_pipe(&r, &w);
    if (err) return fail(err);
    fds[0] = (int)r;
    fds[1] = (int)w;
    return 0;
}

int dup(int fd) {
    uint32_t new_fd = 0;
    if (fd < 0) return fail(EBADF);
    int32_t err = __wasi_ext_fd_dup((uint32_t)fd, &new_fd);
    return err ? fail(err) : (int)new_fd;
}

int dup2(int fd, int to) {
    if (fd < 0 || to < 0) return fail(EBADF);
    int32_t err = __wasi_ext_fd_dup2((uint32_t)fd, (uint32_t)to);
    return err ? fail(err) : to;
}

/* ------------------------------------------------------- passwd and group */

/* Splits line (NUL-terminated, modified in place) at ':' into exactly n
 * fields; returns 0, or -1 if the count differs. */
static int split_fields(char *line, char **fields, int n) {
    int i = 0;
    fields[i++] = line;
    for (char *p = line; *p; p++) {
        if (*p == ':') {
            if (i == n) return -1;
            *p = '\0';
            fields[i++] = p + 1;
        }
    }
    return i == n ? 0 : -1;
}

static int parse_id(const char *text, uint32_t *out) {
    char *end;
    if (*text == '\0') return -1;
    unsigned long value = strtoul(text, &end, 10);
    if (*end != '\0' || value > UINT32_MAX) return -1;
    *out = (uint32_t)value;
    return 0;
}

/* Which line a lookup asks for. */
struct lookup {
    enum { BY_UID, BY_NAME, BY_GID } kind;
    uint32_t id;
    const char *name;
};

/* Fetches the line into buf (len bytes, NUL added). Returns 0, ERANGE with
 * *needed set (needed includes the NUL), or another error number. */
static int fetch_line(const struct lookup *q, char *buf, size_t len, size_t *needed) {
    size_t line_len = 0;
    size_t room = len > 0 ? len - 1 : 0;
    int32_t err;
    switch (q->kind) {
    case BY_UID: err = __wasi_ext_getpwuid(q->id, buf, room, &line_len); break;
    case BY_GID: err = __wasi_ext_getgrgid(q->id, buf, room, &line_len); break;
    default: err = __wasi_ext_getpwnam(q->name, strlen(q->name), buf, room, &line_len); break;
    }
    *needed = line_len + 1;
    if (err == 0 && line_len >= len) err = ERANGE;
    if (err) return err;
    buf[line_len] = '\0';
    return 0;
}

static int parse_passwd(char *line, struct passwd *pwd) {
    char *f[7];
    uint32_t uid, gid;
    if (split_fields(line, f, 7) || parse_id(f[2], &uid) || parse_id(f[3], &gid)) return EINVAL;
    *pwd = (struct passwd){f[0], f[1], (uid_t)uid, (gid_t)gid, f[4], f[5], f[6]};
    return 0;
}

static int getpw_r(const struct lookup *q, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result) {
    size_t needed;
    *result = NULL;
    int err = fetch_line(q, buf, buflen, &needed);
    if (err == ENOENT) return 0;
    if (err) return err;
    err = parse_passwd(buf, pwd);
    if (err) return err;
    *result = pwd;
    return 0;
}

int getpwuid_r(uid_t uid, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result) {
    struct lookup q = {BY_UID, uid, NULL};
    return getpw_r(&q, pwd, buf, buflen, result);
}

int getpwnam_r(const char *name, struct passwd *pwd, char *buf, size_t buflen, struct passwd **result) {
    struct lookup q = {BY_NAME, 0, name};
    return getpw_r(&q, pwd, buf, buflen, result);
}

/* The buffer of the non-reentrant lookups, grown as the host asks. */
static char *static_buf;
static size_t static_len;

/* Fills static_buf with the line; returns 0 or an error number. */
static int fetch_static(const struct lookup *q) {
    for (int round = 0; round < 8; round++) {
        size_t needed = 0;
        int err = fetch_line(q, static_buf, static_len, &needed);
        if (err != ERANGE || needed <= static_len) return err;
        char *grown = realloc(static_buf, needed);
        if (grown == NULL) return ENOMEM;
        static_buf = grown;
        static_len = needed;
    }
    return ERANGE;
}

static struct passwd *getpw_static(const struct lookup *q) {
    static struct passwd entry;
    int err = fetch_static(q);
    if (err == ENOENT) return NULL; /* no such user: errno unchanged */
    if (err == 0) err = parse_passwd(static_buf, &entry);
    if (err) {
        errno = err;
        return NULL;
    }
    return &entry;
}

struct passwd *getpwuid(uid_t uid) {
    struct lookup q = {BY_UID, uid, NULL};
    return getpw_static(&q);
}

struct passwd *getpwnam(const char *name) {
    struct lookup q = {BY_NAME, 0, name};
    return getpw_static(&q);
}

struct group *getgrgid(gid_t gid) {
    static struct group entry;
    static char **members;
    struct lookup q = {BY_GID, gid, NULL};
    char *f[4];
    uint32_t id;
    int err = fetch_static(&q);
    if (err == ENOENT) return NULL;
    if (err == 0 && (split_fields(static_buf, f, 4) || parse_id(f[2], &id))) err = EINVAL;
    if (err) {
        errno = err;
        return NULL;
    }
    /* Members: a comma-separated list, NULL-terminated. */
    size_t count = 1;
    for (const char *p = f[3]; *p; p++) count += *p == ',';
    char **grown = realloc(members, (count + 1) * sizeof *members);
    if (grown == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    members = grown;
    size_t n = 0;
    for (char *m = f[3]; *m;) {
        char *comma = strchr(m, ',');
        if (comma) *comma = '\0';
        if (*m) members[n++] = m;
        if (!comma) break;
        m = comma + 1;
    }
    members[n] = NULL;
    entry = (struct group){f[0], f[1], (gid_t)id, members};
    return &entry;
}

/* ------------------------------------------------------- posix_spawn */

enum { SPAWN_DUP2, SPAWN_CLOSE, SPAWN_OPEN };

struct __wasi_ext_spawn_action {
    int kind;
    int fd;     /* the child's fd */
    int src;    /* DUP2: the child's fd copied */
    char *path; /* OPEN */
    int oflag;
    mode_t mode;
};

int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa) {
    fa->__count = 0;
    fa->__capacity = 0;
    fa->__actions = NULL;
    return 0;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *fa) {
    for (int i = 0; i < fa->__count; i++) free(fa->__actions[i].path);
    free(fa->__actions);
    return posix_spawn_file_actions_init(fa);
}

static int add_action(posix_spawn_file_actions_t *fa, struct __wasi_ext_spawn_action action) {
    if (fa->__count >= MAX_ACTIONS) return EINVAL;
    if (fa->__count == fa->__capacity) {
        int capacity = fa->__capacity ? fa->__capacity * 2 : 8;
        struct __wasi_ext_spawn_action *grown = realloc(fa->__actions, (size_t)capacity * sizeof *grown);
        if (grown == NULL) return ENOMEM;
        fa->__actions = grown;
        fa->__capacity = capacity;
    }
    fa->__actions[fa->__count++] = action;
    return 0;
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *fa, int fildes, int newfd) {
    if (fildes < 0 || newfd < 0) return EBADF;
    return add_action(fa, (struct __wasi_ext_spawn_action){SPAWN_DUP2, newfd, fildes, NULL, 0, 0});
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *fa, int fildes) {
    if (fildes < 0) return EBADF;
    return add_action(fa, (struct __wasi_ext_spawn_action){SPAWN_CLOSE, fildes, 0, NULL, 0, 0});
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *fa, int fildes, const char *path, int oflag,
                                     mode_t mode) {
    if (fildes < 0) return EBADF;
    char *copy = strdup(path);
    if (copy == NULL) return ENOMEM;
    int err = add_action(fa, (struct __wasi_ext_spawn_action){SPAWN_OPEN, fildes, 0, copy, oflag, mode});
    if (err) free(copy);
    return err;
}

int posix_spawnattr_init(posix_spawnattr_t *attr) {
    attr->__flags = 0;
    attr->__pgroup = 0;
    return 0;
}

int posix_spawnattr_destroy(posix_spawnattr_t *attr) {
    (void)attr;
    return 0;
}

int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags) {
    const short known = POSIX_SPAWN_RESETIDS | POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK;
    if (flags & ~known) return EINVAL;
    attr->__flags = flags;
    return 0;
}

int posix_spawnattr_getflags(const posix_spawnattr_t *attr, short *flags) {
    *flags = attr->__flags;
    return 0;
}

int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup) {
    if (pgroup < 0) return EINVAL;
    attr->__pgroup = pgroup;
    return 0;
}

int posix_spawnattr_getpgroup(const posix_spawnattr_t *attr, pid_t *pgroup) {
    *pgroup = attr->__pgroup;
    return 0;
}

/* Everything one spawn needs, built once for posix_spawnp's several tries. */
struct spawn_plan {
    char *argv;
    size_t argv_len;
    char *env;
    size_t env_len;
    char *cwd;
    struct fd_action actions[MAX_ACTIONS];
    size_t count;
    int opened[MAX_ACTIONS]; /* the caller's fds of OPEN actions, closed after */
    int n_opened;
};

/* Appends the NUL-terminated strings of list to a string-list buffer. */
static int build_list(char *const *list, const char *skip_prefix, const char *extra, char **out, size_t *out_len) {
    size_t len = extra ? strlen(extra) + 1 : 0;
    size_t skip = skip_prefix ? strlen(skip_prefix) : 0;
    for (char *const *p = list; p && *p; p++) {
        if (skip && strncmp(*p, skip_prefix, skip) == 0) continue;
        len += strlen(*p) + 1;
    }
    char *buf = malloc(len ? len : 1);
    if (buf == NULL) return ENOMEM;
    char *at = buf;
    for (char *const *p = list; p && *p; p++) {
        if (skip && strncmp(*p, skip_prefix, skip) == 0) continue;
        size_t n = strlen(*p) + 1;
        memcpy(at, *p, n);
        at += n;
    }
    if (extra) memcpy(at, extra, strlen(extra) + 1);
    *out = buf;
    *out_len = len;
    return 0;
}

/* The caller's fd that the child's fd will be a copy of, given the actions
 * so far: the last action touching it, else the caller's fd of that number. */
static int child_source(const struct spawn_plan *plan, int fd, int *src) {
    for (size_t i = plan->count; i-- > 0;) {
        if ((int)plan->actions[i].fd != fd) continue;
        if (plan->actions[i].kind == ACTION_CLOSE) return EBADF;
        *src = (int)plan->actions[i].src;
        return 0;
    }
    *src = fd;
    return 0;
}

static void plan_free(struct spawn_plan *plan) {
    for (int i = 0; i < plan->n_opened; i++) close(plan->opened[i]);
    free(plan->argv);
    free(plan->env);
    free(plan->cwd);
}

extern char **environ;

static int plan_build(struct spawn_plan *plan, const posix_spawn_file_actions_t *fa, char *const argv[],
                      char *const envp[]) {
    memset(plan, 0, sizeof *plan);
    int err = build_list(argv, NULL, NULL, &plan->argv, &plan->argv_len);
    if (err) return err;
    plan->cwd = getcwd(NULL, 0);
    if (plan->cwd == NULL) return errno;
    char *pwd = malloc(strlen(plan->cwd) + 5);
    if (pwd == NULL) return ENOMEM;
    strcpy(pwd, "PWD=");
    strcat(pwd, plan->cwd);
    err = build_list(envp ? envp : environ, "PWD=", pwd, &plan->env, &plan->env_len);
    free(pwd);
    if (err) return err;

    for (int i = 0; fa && i < fa->__count; i++) {
        const struct __wasi_ext_spawn_action *a = &fa->__actions[i];
        int src;
        switch (a->kind) {
        case SPAWN_DUP2:
            err = child_source(plan, a->src, &src);
            if (err) return err;
            plan->actions[plan->count++] = (struct fd_action){ACTION_DUP2, (uint32_t)a->fd, (uint32_t)src};
            break;
        case SPAWN_CLOSE:
            plan->actions[plan->count++] = (struct fd_action){ACTION_CLOSE, (uint32_t)a->fd, 0};
            break;
        default:
            src = open(a->path, a->oflag, a->mode);
            if (src < 0) return errno;
            plan->opened[plan->n_opened++] = src;
            plan->actions[plan->count++] = (struct fd_action){ACTION_DUP2, (uint32_t)a->fd, (uint32_t)src};
            break;
        }
    }
    return 0;
}

static int plan_spawn(const struct spawn_plan *plan, const char *path, pid_t *pid) {
    uint32_t child = 0;
    int32_t err = __wasi_ext_proc_spawn(path, strlen(path), plan->argv, plan->argv_len, plan->env, plan->env_len,
                                        plan->cwd, strlen(plan->cwd), plan->actions, plan->count, &child);
    if (err) return err;
    if (pid) *pid = (pid_t)child;
    return 0;
}

/* Applies POSIX_SPAWN_SETPGROUP to a started child; on failure the child is
 * killed and reaped, and the error returned. */
static int apply_attr(const posix_spawnattr_t *attr, pid_t child) {
    if (attr == NULL || !(attr->__flags & POSIX_SPAWN_SETPGROUP)) return 0;
    int32_t err = __wasi_ext_proc_setpgid(child, attr->__pgroup);
    if (err == 0) return 0;
    uint32_t status, reaped;
    (void)__wasi_ext_proc_kill(child, SIGKILL);
    (void)__wasi_ext_proc_waitpid(child, 0, &status, &reaped);
    return err;
}

/* Runs one spawn of path (already searched) with everything prepared. */
static int spawn_common(pid_t *pid, const char *const *paths, size_t n_paths, const posix_spawn_file_actions_t *fa,
                        const posix_spawnattr_t *attr, char *const argv[], char *const envp[]) {
    struct spawn_plan *plan = malloc(sizeof *plan);
    if (plan == NULL) return ENOMEM;
    int err = plan_build(plan, fa, argv, envp);
    pid_t child = 0;
    int seen_eacces = 0;
    if (err == 0) {
        err = ENOENT;
        for (size_t i = 0; i < n_paths; i++) {
            err = plan_spawn(plan, paths[i], &child);
            if (err == 0) break;
            if (err == EACCES) seen_eacces = 1;
            if (err != ENOENT && err != ENOTDIR && err != EACCES) break;
        }
        if (err && seen_eacces && (err == ENOENT || err == ENOTDIR)) err = EACCES;
    }
    plan_free(plan);
    free(plan);
    if (err == 0) err = apply_attr(attr, child);
    if (err == 0 && pid) *pid = child;
    return err;
}

int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                char *const argv[], char *const envp[]) {
    if (strchr(path, '/') != NULL) return spawn_common(pid, &path, 1, fa, attr, argv, envp);
    /* A bare name is a path relative to the working directory (the host
     * would search PATH for it). */
    char *relative = malloc(strlen(path) + 3);
    if (relative == NULL) return ENOMEM;
    strcpy(relative, "./");
    strcat(relative, path);
    const char *paths[1] = {relative};
    int err = spawn_common(pid, paths, 1, fa, attr, argv, envp);
    free(relative);
    return err;
}

int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa, const posix_spawnattr_t *attr,
                 char *const argv[], char *const envp[]) {
    if (*file == '\0') return ENOENT;
    if (strchr(file, '/') != NULL) return spawn_common(pid, &file, 1, fa, attr, argv, envp);
    const char *search = getenv("PATH");
    if (search == NULL) search = "/usr/local/bin:/usr/bin:/bin";
    /* One candidate per PATH entry ("" is the working directory). */
    size_t n = 1;
    for (const char *p = search; *p; p++) n += *p == ':';
    char **paths = calloc(n, sizeof *paths);
    if (paths == NULL) return ENOMEM;
    int err = 0;
    size_t count = 0;
    for (const char *dir = search;; dir++) {
        const char *end = strchr(dir, ':');
        size_t len = end ? (size_t)(end - dir) : strlen(dir);
        char *candidate = malloc(len + strlen(file) + 3);
        if (candidate == NULL) {
            err = ENOMEM;
            break;
        }
        if (len == 0) {
            strcpy(candidate, "./");
        } else {
            memcpy(candidate, dir, len);
            candidate[len] = '/';
            candidate[len + 1] = '\0';
        }
        strcat(candidate, file);
        paths[count++] = candidate;
        if (!end) break;
        dir = end;
    }
    if (err == 0) err = spawn_common(pid, (const char *const *)paths, count, fa, attr, argv, envp);
    for (size_t i = 0; i < count; i++) free(paths[i]);
    free(paths);
    return err;
}
