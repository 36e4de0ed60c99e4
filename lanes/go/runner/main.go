// Command yaegi-run is capsa's Go lane runner: the yaegi interpreter,
// built once for wasip1, that runs the Go program embedded in its own
// module. capsa appends the program to the runner as the payload of a
// custom section "wbgosrc" that ends the module: the source, its length as
// a big-endian uint64, and the magic "WBGOSRC1", so the module stays valid
// wasm and the source is found from the file's last 16 bytes. capsa names
// the module's path in the VM with the environment variable CAPSA_GO_MODULE.
package main

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"unsafe"

	"github.com/traefik/yaegi/interp"
	"github.com/traefik/yaegi/stdlib"
)

const magic = "WBGOSRC1"

// trailerLen is the length field plus the magic.
const trailerLen = 8 + len(magic)

// ceiling names what yaegi 0.14 lacks, for programs written for a newer Go.
const ceiling = "capsa: the Go lane runs yaegi 0.14.3, a Go 1.19-era interpreter: " +
	"no min/max builtins, no range over int, no slices/maps/cmp packages, stdlib only"

//go:wasmimport wasi_snapshot_preview1 fd_prestat_get
func fdPrestatGet(fd int32, prestat unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 fd_prestat_dir_name
func fdPrestatDirName(fd int32, path unsafe.Pointer, pathLen uint32) uint32

//go:wasmimport wasi_snapshot_preview1 path_open
func pathOpen(dir int32, lookup uint32, path unsafe.Pointer, pathLen uint32, oflags uint32, base uint64, inheriting uint64, fdflags uint32, fd unsafe.Pointer) uint32

// Only fd_read and fd_seek: Go's os.Open asks for more rights than a
// read-only mount grants (fd_filestat_set_size among them), which capsa
// refuses with EROFS.
const readOnlyRights = 1<<1 | 1<<2

// openReadOnly opens path, which must lie under a preopened directory,
// asking only for the rights to read it.
func openReadOnly(path string) (*os.File, error) {
	for fd := int32(3); fd < 256; fd++ {
		var prestat [2]uint32
		if fdPrestatGet(fd, unsafe.Pointer(&prestat[0])) != 0 {
			break
		}
		name := make([]byte, prestat[1]+1)
		if fdPrestatDirName(fd, unsafe.Pointer(&name[0]), prestat[1]) != 0 {
			continue
		}
		dir := strings.TrimSuffix(string(name[:prestat[1]]), "/")
		rest, ok := strings.CutPrefix(path, dir+"/")
		if !ok || rest == "" {
			continue
		}
		rel := []byte(rest)
		var opened int32
		if errno := pathOpen(fd, 1, unsafe.Pointer(&rel[0]), uint32(len(rel)), 0, readOnlyRights, 0, 0, unsafe.Pointer(&opened)); errno != 0 {
			return nil, fmt.Errorf("open %s: wasi errno %d", path, errno)
		}
		return os.NewFile(uintptr(opened), path), nil
	}
	return nil, fmt.Errorf("open %s: not under a granted directory", path)
}

// source reads the program from the end of the module at path.
func source(path string) (string, error) {
	f, err := openReadOnly(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return "", err
	}
	size := info.Size()
	if size < int64(trailerLen) {
		return "", fmt.Errorf("%s: too short to carry a program", path)
	}
	trailer := make([]byte, trailerLen)
	if _, err := f.ReadAt(trailer, size-int64(trailerLen)); err != nil {
		return "", err
	}
	if string(trailer[8:]) != magic {
		return "", fmt.Errorf("%s: no embedded Go program (magic %q missing)", path, magic)
	}
	n := binary.BigEndian.Uint64(trailer[:8])
	if n > uint64(size-int64(trailerLen)) {
		return "", fmt.Errorf("%s: embedded program length %d exceeds the module", path, n)
	}
	src := make([]byte, n)
	if _, err := f.ReadAt(src, size-int64(trailerLen)-int64(n)); err != nil && err != io.EOF {
		return "", err
	}
	return string(src), nil
}

// hitsCeiling reports whether yaegi's message means the program uses
// something newer than yaegi 0.14 understands.
func hitsCeiling(msg string) bool {
	for _, sign := range []string{
		"undefined: min", "undefined: max", "undefined: clear",
		"cannot range over", "range over",
		`unable to find source related to: "slices"`, `unable to find source related to: "maps"`,
		`unable to find source related to: "cmp"`,
	} {
		if strings.Contains(msg, sign) {
			return true
		}
	}
	return false
}

func main() {
	module := os.Getenv("CAPSA_GO_MODULE")
	if module == "" {
		fmt.Fprintln(os.Stderr, "capsa: CAPSA_GO_MODULE is not set; run Go programs with capsa run")
		os.Exit(2)
	}
	src, err := source(module)
	if err != nil {
		fmt.Fprintln(os.Stderr, "capsa:", err)
		os.Exit(2)
	}
	// capsa passes the program's file name as argv[0], so os.Args is the program's.
	i := interp.New(interp.Options{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Args: os.Args})
	// yaegi's stdlib makes os.Exit panic (it protects a host embedding
	// it); here the program is the whole process, so it exits for real.
	exit := interp.Exports{"os/os": {"Exit": reflect.ValueOf(os.Exit)}}
	for _, symbols := range []interp.Exports{stdlib.Symbols, exit} {
		if err := i.Use(symbols); err != nil {
			fmt.Fprintln(os.Stderr, "capsa:", err)
			os.Exit(2)
		}
	}
	// Eval runs main itself when the source is a main package with one.
	if _, err := i.Eval(src); err != nil {
		msg := err.Error()
		// yaegi names evaluated source "_.go" or gives a bare line:column;
		// name the program's file, as go does.
		if len(os.Args) > 0 {
			if rest, ok := strings.CutPrefix(msg, "_.go:"); ok {
				msg = os.Args[0] + ":" + rest
			} else if len(msg) > 0 && msg[0] >= '0' && msg[0] <= '9' {
				msg = os.Args[0] + ":" + msg
			}
		}
		fmt.Fprintln(os.Stderr, msg)
		if hitsCeiling(msg) {
			fmt.Fprintln(os.Stderr, ceiling)
		}
		os.Exit(1)
	}
}
