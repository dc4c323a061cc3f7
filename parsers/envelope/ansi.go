package envelope

import "io"

// ansiStripper drops the colour codes `aws logs tail --color on` puts around
// timestamps and stream names (ESC [ 32 m … ESC [ 0 m), and any other
// ESC [ … control sequence, across read boundaries. Open uses it only for input that starts with ESC.
type ansiStripper struct {
	r     io.Reader
	state int // 0: text, 1: after ESC, 2: inside ESC [ … parameters
}

func (a *ansiStripper) Read(p []byte) (int, error) {
	for {
		n, err := a.r.Read(p)
		out := 0
		for _, c := range p[:n] {
			switch a.state {
			case 0:
				if c == 0x1b {
					a.state = 1
					continue
				}
				p[out] = c
				out++
			case 1:
				if c == '[' {
					a.state = 2
					continue
				}
				// A lone ESC: keep it and what follows.
				p[out] = 0x1b
				out++
				a.state = 0
				if c == 0x1b {
					a.state = 1
					continue
				}
				p[out] = c
				out++
			case 2:
				if (c >= '0' && c <= '9') || c == ';' {
					continue
				}
				a.state = 0
				if c < 0x40 || c > 0x7e {
					// Not the final byte of a control sequence: keep it.
					p[out] = c
					out++
				}
			}
		}
		if out > 0 || err != nil {
			return out, err
		}
	}
}
