/* <netdb.h> for wasi-libc, which has none: see wasi_ext.h. */
#include "wasi_ext.h"
