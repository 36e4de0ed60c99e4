/* capsa's JavaScript lane: the main of every program. QuickJS-ng (compiled
 * once by the C lane) runs the prelude (prelude.js), then the program, both
 * embedded as byte arrays by the lane's generated js_src.c, then the event
 * loop. An uncaught exception prints its message and stack and exits 1;
 * process.exit(n) / std.exit(n) exit with n; otherwise process.exitCode
 * (default 0). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "quickjs-libc.h"
#include "quickjs.h"

/* From js_src.c: NUL-terminated (QuickJS requires it), lengths without it. */
extern const char capsa_js_source[];
extern const unsigned int capsa_js_source_len;
extern const char capsa_js_name[];
extern const char capsa_js_prelude[];
extern const unsigned int capsa_js_prelude_len;

/* Evaluates a script or module; prints the exception and returns -1 if it
 * threw. */
static int eval(JSContext *ctx, const char *text, size_t len, const char *name, int module) {
    JSValue value;
    if (module) {
        value = JS_Eval(ctx, text, len, name, JS_EVAL_TYPE_MODULE | JS_EVAL_FLAG_COMPILE_ONLY);
        if (!JS_IsException(value)) {
            if (js_module_set_import_meta(ctx, value, false, true) < 0) {
                js_std_dump_error(ctx);
                return -1;
            }
            value = JS_EvalFunction(ctx, value);
        }
        value = js_std_await(ctx, value);
    } else {
        value = JS_Eval(ctx, text, len, name, JS_EVAL_TYPE_GLOBAL);
    }
    if (JS_IsException(value)) {
        js_std_dump_error(ctx);
        return -1;
    }
    JS_FreeValue(ctx, value);
    return 0;
}

/* process.exitCode as an exit status (0 when unset). */
static int exit_code(JSContext *ctx) {
    JSValue global = JS_GetGlobalObject(ctx);
    JSValue process = JS_GetPropertyStr(ctx, global, "process");
    JSValue code = JS_GetPropertyStr(ctx, process, "exitCode");
    int32_t status = 0;
    if (!JS_IsUndefined(code) && JS_ToInt32(ctx, &status, code) < 0) {
        status = 1;
    }
    JS_FreeValue(ctx, code);
    JS_FreeValue(ctx, process);
    JS_FreeValue(ctx, global);
    return status;
}

static int ends_with(const char *text, const char *suffix) {
    size_t n = strlen(text), m = strlen(suffix);
    return n >= m && strcmp(text + n - m, suffix) == 0;
}

int main(int argc, char **argv) {
    JSRuntime *rt = JS_NewRuntime();
    if (!rt) {
        fputs("capsa: cannot allocate the JavaScript runtime\n", stderr);
        return 1;
    }
    js_std_init_handlers(rt);
    JS_SetModuleLoaderFunc2(rt, NULL, js_module_loader, js_module_check_attributes, NULL);
    JS_SetHostPromiseRejectionTracker(rt, js_std_promise_rejection_tracker, NULL);
    JSContext *ctx = JS_NewContext(rt);
    if (!ctx) {
        fputs("capsa: cannot allocate the JavaScript context\n", stderr);
        return 1;
    }
    js_init_module_std(ctx, "qjs:std");
    js_init_module_os(ctx, "qjs:os");
    /* scriptArgs[0] names the program's source, as under qjs. */
    if (argc > 0) {
        argv[0] = (char *)capsa_js_name;
    }
    js_std_add_helpers(ctx, argc, argv);
    if (eval(ctx, capsa_js_prelude, capsa_js_prelude_len, "<capsa prelude>", 1) < 0) {
        return 1;
    }
    int module = ends_with(capsa_js_name, ".mjs") || JS_DetectModule(capsa_js_source, capsa_js_source_len);
    if (eval(ctx, capsa_js_source, capsa_js_source_len, capsa_js_name, module) < 0) {
        return 1;
    }
    if (js_std_loop(ctx) != 0) {
        js_std_dump_error(ctx);
        return 1;
    }
    int status = exit_code(ctx);
    fflush(stdout);
    fflush(stderr);
    return status;
}
