/* Linked into capsa's sqlite3.wasm: start in the working directory of the
 * process that spawned it. wasi-libc keeps its own working directory, `/`
 * at startup; capsa passes the spawner's in PWD (docs/abi.md, "How a
 * foreign wasi-libc program learns its working directory"), so that
 * `sqlite3 data.db` and `.import file.csv` name files where the shell is.
 * A PWD that is not absolute or not reachable changes nothing. */
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void capsa_enter_pwd(void) {
    const char *pwd = getenv("PWD");
    if (pwd != NULL && pwd[0] == '/') {
        (void)chdir(pwd);
    }
}
