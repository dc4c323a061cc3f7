package layer

import (
	"archive/zip"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// A File is one entry of a layer zip.
type File struct {
	Name string      // slash-separated, relative to /opt
	Mode fs.FileMode // permission bits: 0755 for executables, 0644 otherwise
	Data []byte
}

// zipTime is every entry's modification time, so the zip's bytes depend on
// the files alone. 1980-01-01 is the earliest time a zip entry can hold.
var zipTime = time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)

// WriteZip writes files as a zip whose bytes depend on the files alone:
// entries sorted by name, each parent directory as its own entry (0755),
// fixed timestamps, and Unix modes in the external attributes. Lambda keeps
// those modes when it unpacks a layer into /opt; an executable stored
// without them fails with "is not an executable" (exit status 126).
func WriteZip(w io.Writer, files []File) error {
	seen := map[string]bool{}
	var entries []File
	for _, f := range files {
		name := path.Clean(f.Name)
		if f.Name == "" || name != f.Name || path.IsAbs(name) || name == "." || strings.HasPrefix(name, "../") || name == ".." {
			return fmt.Errorf("zip entry %q: want a clean relative path", f.Name)
		}
		if seen[name] {
			return fmt.Errorf("zip entry %q given twice", name)
		}
		seen[name] = true
		if f.Mode&^fs.ModePerm != 0 {
			return fmt.Errorf("zip entry %q: mode %v is not a plain file's", name, f.Mode)
		}
		entries = append(entries, f)
		for dir := path.Dir(name); dir != "."; dir = path.Dir(dir) {
			if !seen[dir+"/"] {
				seen[dir+"/"] = true
				entries = append(entries, File{Name: dir + "/", Mode: fs.ModeDir | 0o755})
			}
		}
	}
	entries = sortedEntries(entries)

	zw := zip.NewWriter(w)
	for _, f := range entries {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: zipTime}
		if f.Mode.IsDir() {
			h.Method = zip.Store
		}
		h.SetMode(f.Mode)
		ew, err := zw.CreateHeader(h)
		if err != nil {
			return fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
		if _, err := ew.Write(f.Data); err != nil {
			return fmt.Errorf("zip entry %s: %w", f.Name, err)
		}
	}
	return zw.Close()
}
