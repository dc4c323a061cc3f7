package parsers_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/coldprof/coldprof/parsers"
	"github.com/coldprof/coldprof/parsers/envelope"
	"github.com/coldprof/coldprof/profile"
)

// A log as Lambda stores it: the wrapper's markers, -X importtime lines and
// platform lines. The handler module has no line of its own; its imports
// (boto3) are top-level entries.
const exampleLog = `INIT_START Runtime Version: python:3.12.mainlinev2.v7	Runtime Version ARN: arn:aws:lambda:us-east-1::runtime:0123
coldprof: {"v":1,"ev":"start","t":1,"runtime":"python3.12","handler":"app.handler"}
import time: self [us] | cumulative | imported package
import time:       120 |        120 |   os
import time:       900 |       1020 | site
import time:      2100 |       2100 |   json
import time:      3000 |       5100 | awslambdaric.bootstrap
import time:     41000 |      41000 | boto3
coldprof: {"v":1,"ev":"init_done","t":2}
coldprof: {"v":1,"ev":"invoke_start","t":3,"requestId":"req-1"}
import time:     95000 |      95000 | pandas
coldprof: {"v":1,"ev":"invoke_end","t":4,"requestId":"req-1","status":"response"}
REPORT RequestId: req-1	Duration: 99.00 ms	Billed Duration: 200 ms	Memory Size: 128 MB	Max Memory Used: 90 MB	Init Duration: 60.12 ms
`

func ExampleReader() {
	r := parsers.NewReader(envelope.NewRawText(strings.NewReader(exampleLog)), "app.log", parsers.Options{
		Warn: func(w profile.Warning) { fmt.Println("warning:", w) },
	})
	for {
		cs, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(cs.ID, cs.Runtime, cs.Handler, cs.Boundary, cs.InitDurationMs)
		cs.Walk(func(imp *profile.Import, depth int) bool {
			fmt.Printf("%*s%s %dus %s", 2*depth, "", imp.Name, imp.CumulativeUs, imp.Phase)
			if imp.RequestID != "" {
				fmt.Print(" ", imp.RequestID)
			}
			fmt.Println()
			return true
		})
	}
	// Output:
	// app.log#1 python3.12 app.handler exact 60.12
	// site 1020us interpreter
	//   os 120us interpreter
	// awslambdaric.bootstrap 5100us runtime
	//   json 2100us runtime
	// boto3 41000us init
	// pandas 95000us invoke req-1
}
