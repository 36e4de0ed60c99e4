/*
 * capsa's standalone Lua interpreter: the `lua` command of the Lua lane,
 * linked with Lua 5.4's library sources by the C lane.
 *
 *   lua [options] [script [args]]
 *     -e CODE   run CODE            -l NAME  require NAME into global NAME
 *     -v        print the version   -E       ignore LUA_INIT
 *     -W        turn warnings on    --       stop handling options
 *     -         run standard input (also with no script when stdin is no tty)
 *
 * As the reference interpreter does, `arg` holds the script at 0, its
 * arguments at 1.. and the interpreter and options at negative indices;
 * errors print `lua: MESSAGE` with a traceback and exit 1; os.exit's code
 * is the process's. Processes cannot be started from Lua here: os.execute
 * and io.popen raise an error saying so instead of failing obscurely;
 * os.clock and os.tmpname, which lua-src's WASI build leaves out, are
 * provided here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

static const char *progname = "lua";

static void message(const char *text) {
    fprintf(stderr, "%s: %s\n", progname, text);
    fflush(stderr);
}

/* Reports a failed status's message (left on the stack) and pops it. */
static int report(lua_State *L, int status) {
    if (status != LUA_OK) {
        const char *text = lua_tostring(L, -1);
        message(text != NULL ? text : "(error object is not a string)");
        lua_pop(L, 1);
    }
    return status;
}

/* Message handler: a non-string error object goes through __tostring,
   then a traceback is appended. */
static int traceback(lua_State *L) {
    const char *text = lua_tostring(L, 1);
    if (text == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        text = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, text, 1);
    return 1;
}

/* Calls the function under `nargs` arguments with the traceback handler. */
static int call(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, traceback);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

static int run_chunk(lua_State *L, int status) {
    if (status == LUA_OK) status = call(L, 0, 0);
    return report(L, status);
}

static int no_processes(lua_State *L) {
    return luaL_error(L, "%s: cannot start processes: capsa's Lua has no process support "
                         "(run the command from the shell instead)",
                      lua_tostring(L, lua_upvalueindex(1)));
}

/* Replaces table[name] (the table on top) with no_processes. */
static void forbid(lua_State *L, const char *qualified, const char *name) {
    lua_pushstring(L, qualified);
    lua_pushcclosure(L, no_processes, 1);
    lua_setfield(L, -2, name);
}

/* os.clock: the processor time, through wasi-libc's emulated process
   clock (lua-src's WASI build leaves it out). */
static int os_clock(lua_State *L) {
    lua_pushnumber(L, (lua_Number)clock() / (lua_Number)CLOCKS_PER_SEC);
    return 1;
}

/* os.tmpname: a new empty file under /tmp, created exclusively as
   mkstemp does (wasi-libc has no mkstemp; lua-src's WASI build leaves
   os.tmpname out). */
static int os_tmpname(lua_State *L) {
    static const char digits[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    static unsigned long long state = 0;
    char name[] = "/tmp/lua_XXXXXX";
    /* Not arc4random: without capsa's --random grant it traps. O_EXCL,
       not the name, is what makes the file new. */
    state ^= (unsigned long long)time(NULL) ^ ((unsigned long long)clock() << 20) ^ (unsigned long long)(size_t)L;
    for (int attempt = 0; attempt < 100; attempt++) {
        for (char *x = name + sizeof "/tmp/lua_" - 1; *x != '\0'; x++) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            *x = digits[(state >> 33) % (sizeof digits - 1)];
        }
        int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0600);
        if (fd != -1) {
            close(fd);
            lua_pushstring(L, name);
            return 1;
        }
        if (errno != EEXIST) break;
    }
    return luaL_error(L, "unable to generate a unique filename");
}

/* The os and io functions capsa's build provides differently. */
static void adapt_libraries(lua_State *L) {
    lua_getglobal(L, "os");
    forbid(L, "os.execute", "execute");
    lua_pushcfunction(L, os_clock);
    lua_setfield(L, -2, "clock");
    lua_pushcfunction(L, os_tmpname);
    lua_setfield(L, -2, "tmpname");
    lua_pop(L, 1);
    lua_getglobal(L, "io");
    forbid(L, "io.popen", "popen");
    lua_pop(L, 1);
}

/* `arg`: argv[script] at 0, the rest after it, what precedes it below 0. */
static void make_arg(lua_State *L, char **argv, int argc, int script) {
    lua_createtable(L, argc - script, script + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - script);
    }
    lua_setglobal(L, "arg");
}

static int do_init(lua_State *L) {
    const char *name = "=LUA_INIT_5_4";
    const char *init = getenv(name + 1);
    if (init == NULL) {
        name = "=LUA_INIT";
        init = getenv(name + 1);
    }
    if (init == NULL) return LUA_OK;
    if (init[0] == '@') return run_chunk(L, luaL_loadfile(L, init + 1));
    return run_chunk(L, luaL_loadbuffer(L, init, strlen(init), name));
}

static int do_require(lua_State *L, const char *spec) {
    const char *eq = strchr(spec, '=');
    const char *global = spec;
    const char *module = spec;
    size_t global_len = strlen(spec);
    if (eq != NULL) {
        global_len = (size_t)(eq - spec);
        module = eq + 1;
    }
    lua_getglobal(L, "require");
    lua_pushstring(L, module);
    int status = call(L, 1, 1);
    if (status != LUA_OK) return report(L, status);
    /* _G[global] = the module (stack: G, name, module). */
    lua_pushglobaltable(L);
    lua_insert(L, -2);
    lua_pushlstring(L, global, global_len);
    lua_insert(L, -2);
    lua_settable(L, -3);
    lua_pop(L, 1);
    return LUA_OK;
}

/* Runs the script (NULL: stdin) with the arguments after it as `...`. */
static int do_script(lua_State *L, char **argv, int argc, int script) {
    const char *file = argv[script];
    if (strcmp(file, "-") == 0 && strcmp(argv[script - 1], "--") != 0) file = NULL;
    int status = luaL_loadfile(L, file);
    if (status != LUA_OK) return report(L, status);
    int nargs = argc - script - 1;
    luaL_checkstack(L, nargs + 3, "too many arguments to script");
    for (int i = script + 1; i < argc; i++) lua_pushstring(L, argv[i]);
    return report(L, call(L, nargs, 0));
}

/* A line-at-a-time prompt for a terminal: an expression's values are
   printed; a statement runs as it is. */
static void interactive(lua_State *L) {
    char line[4096];
    printf("%s (capsa)\n", LUA_COPYRIGHT);
    for (;;) {
        fputs("> ", stdout);
        fflush(stdout);
        if (fgets(line, sizeof line, stdin) == NULL) break;
        const char *returned = lua_pushfstring(L, "return %s", line);
        int status = luaL_loadbuffer(L, returned, strlen(returned), "=stdin");
        lua_remove(L, -2);
        if (status != LUA_OK) {
            lua_pop(L, 1);
            status = luaL_loadbuffer(L, line, strlen(line), "=stdin");
        }
        int base = lua_gettop(L) - 1;
        if (status == LUA_OK) status = call(L, 0, LUA_MULTRET);
        if (status != LUA_OK) {
            report(L, status);
            continue;
        }
        int results = lua_gettop(L) - base;
        if (results > 0) {
            lua_getglobal(L, "print");
            lua_insert(L, base + 1);
            report(L, call(L, results, 0));
        }
    }
    fputs("\n", stdout);
}

static void usage(const char *why) {
    fprintf(stderr, "%s: %s\nusage: %s [-v] [-E] [-W] [-e CODE] [-l NAME] [script [args]] ('-' reads stdin)\n",
            progname, why, progname);
}

/* Everything that can raise a Lua error runs in here, protected. */
static int pmain(lua_State *L) {
    int argc = (int)lua_tointeger(L, 1);
    char **argv = (char **)lua_touserdata(L, 2);
    int script = 0, version = 0, ignore_env = 0, has_code = 0;
    int i;
    /* First pass: validate the options and find the script. */
    for (i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (opt[0] != '-' || strcmp(opt, "-") == 0) break;
        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(opt, "-v") == 0) version = 1;
        else if (strcmp(opt, "-E") == 0) ignore_env = 1;
        else if (strcmp(opt, "-W") == 0) continue;
        else if (strcmp(opt, "-i") == 0) {
            usage("-i is not supported; run lua with no arguments at a terminal for a prompt");
            lua_pushboolean(L, 0);
            return 1;
        } else if ((strcmp(opt, "-e") == 0 || strcmp(opt, "-l") == 0) && i + 1 < argc) {
            has_code |= opt[1] == 'e';
            i++;
        } else if ((opt[1] == 'e' || opt[1] == 'l') && opt[2] != '\0') {
            has_code |= opt[1] == 'e';
        } else {
            char why[128];
            snprintf(why, sizeof why, "unrecognized option or missing argument: '%s'", opt);
            usage(why);
            lua_pushboolean(L, 0);
            return 1;
        }
    }
    script = i < argc ? i : 0;
    luaL_checkversion(L);
    if (ignore_env) {
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
    }
    luaL_openlibs(L);
    adapt_libraries(L);
    make_arg(L, argv, argc, script != 0 ? script : argc);
    lua_gc(L, LUA_GCRESTART);
    lua_gc(L, LUA_GCGEN, 0, 0);
    if (version) printf("%s\n", LUA_COPYRIGHT);
    if (!ignore_env && do_init(L) != LUA_OK) goto failed;
    /* Second pass: -e, -l and -W in order. */
    for (i = 1; i < (script != 0 ? script : argc); i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--") == 0) break;
        if (strcmp(opt, "-W") == 0) {
            lua_warning(L, "@on", 0);
        } else if (opt[1] == 'e' || opt[1] == 'l') {
            const char *value = opt[2] != '\0' ? opt + 2 : argv[++i];
            int status = opt[1] == 'e' ? run_chunk(L, luaL_loadbuffer(L, value, strlen(value), "=(command line)"))
                                       : do_require(L, value);
            if (status != LUA_OK) goto failed;
        }
    }
    if (script != 0) {
        if (do_script(L, argv, argc, script) != LUA_OK) goto failed;
    } else if (!has_code && !version) {
        if (isatty(STDIN_FILENO)) {
            interactive(L);
        } else if (run_chunk(L, luaL_loadfile(L, NULL)) != LUA_OK) {
            goto failed;
        }
    }
    lua_pushboolean(L, 1);
    return 1;
failed:
    lua_pushboolean(L, 0);
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 0 && argv[0] != NULL && argv[0][0] != '\0') {
        const char *slash = strrchr(argv[0], '/');
        progname = slash != NULL ? slash + 1 : argv[0];
    }
    /* WASI has no working directory and wasi-libc's starts at "/": capsa
       gives a process its shell's as PWD (wasi_ext.c does the same). */
    const char *pwd = getenv("PWD");
    if (pwd != NULL && pwd[0] == '/') (void)chdir(pwd);
    lua_State *L = luaL_newstate();
    if (L == NULL) {
        message("cannot create state: not enough memory");
        return EXIT_FAILURE;
    }
    lua_pushcfunction(L, pmain);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    int status = lua_pcall(L, 2, 1, 0);
    int ok = lua_toboolean(L, -1);
    report(L, status);
    lua_close(L);
    return status == LUA_OK && ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
