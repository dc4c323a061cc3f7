package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// ReadEvents loads the events (coldprof run --event): each JSON file in
// turn, "-" read from stdin, none meaning {}, repeated to make n.
func ReadEvents(files []string, n int, stdin io.Reader) ([][]byte, error) {
	if len(files) == 0 {
		files = []string{""}
	}
	var loaded [][]byte
	for _, name := range files {
		var data []byte
		var err error
		switch name {
		case "":
			data = []byte("{}")
		case "-":
			if stdin == nil {
				return nil, errors.New("--event -: no stdin")
			}
			data, err = io.ReadAll(stdin)
			name = "stdin"
		default:
			data, err = os.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("--event: %w", err)
		}
		data = bytes.TrimSpace(data)
		if !json.Valid(data) {
			return nil, fmt.Errorf("--event %s: not valid JSON", name)
		}
		loaded = append(loaded, data)
	}
	events := make([][]byte, n)
	for i := range events {
		events[i] = loaded[i%len(loaded)]
	}
	return events, nil
}
