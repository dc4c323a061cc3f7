package envelope

// parseISO reads an ISO 8601 timestamp at the start of b, in the shapes the
// AWS tools print: "2026-11-22T10:16:34.686000+00:00" (Python isoformat,
// fraction omitted when zero), "2026-11-22T10:16:34" (tail --format short,
// sam's naive UTC), "2026-11-22T10:16:34.686Z" (Lambda's JSON log format) and
// "2026-11-22 10:16:34.686" (Logs Insights). A missing offset means UTC.
//
// It returns Unix microseconds, the number of bytes read, whether a fraction
// and an offset were present, and ok=false when b does not start with one.
// Hand-written because time.Parse costs more than the rest of a tail line.
func parseISO(b []byte) (us int64, n int, frac, zone, ok bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return 0, 0, false, false, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 {
		return 0, 0, false, false, false
	}
	n = 19
	var micros int64
	if n < len(b) && b[n] == '.' {
		start := n + 1
		end := start
		for end < len(b) && end-start < 9 && b[end] >= '0' && b[end] <= '9' {
			end++
		}
		if end == start {
			return 0, 0, false, false, false
		}
		scale := int64(100000)
		for i := start; i < end && i < start+6; i++ {
			micros += int64(b[i]-'0') * scale
			scale /= 10
		}
		n, frac = end, true
	}
	offset := int64(0)
	if n < len(b) {
		switch b[n] {
		case 'Z':
			n++
			zone = true
		case '+', '-':
			if len(b) < n+6 || b[n+3] != ':' {
				return 0, 0, false, false, false
			}
			oh, okh := digits(b[n+1 : n+3])
			om, okm := digits(b[n+4 : n+6])
			if !okh || !okm {
				return 0, 0, false, false, false
			}
			offset = int64(oh*3600 + om*60)
			if b[n] == '-' {
				offset = -offset
			}
			n += 6
			zone = true
		}
	}
	secs := daysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec) - offset
	return secs*1e6 + micros, n, frac, zone, true
}

// digits parses a short run of ASCII digits.
func digits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// daysFromCivil returns the days since 1970-01-01 of a proleptic Gregorian
// date (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

// A clock parses the timestamps of consecutive lines, which nearly always
// share their date, hour and minute: it keeps the Unix time of the last
// minute seen and parses only seconds and fraction when the minute repeats.
type clock struct {
	minute   [16]byte // "2026-11-22T10:56"
	minuteUs int64
	valid    bool
}

func (c *clock) parse(b []byte) (us int64, n int, frac, zone, ok bool) {
	if !c.valid || len(b) < 32 || string(b[:16]) != string(c.minute[:]) || b[19] != '.' || b[26] != '+' || string(b[26:32]) != "+00:00" {
		us, n, frac, zone, ok = parseISO(b)
		if ok && n >= 19 && len(b) >= 16 {
			sec, _ := digits(b[17:19])
			frac6 := (us%1e6 + 1e6) % 1e6
			c.minuteUs = us - int64(sec)*1e6 - frac6
			copy(c.minute[:], b[:16])
			c.valid = true
			// A non-UTC offset shifts the minute; only cache UTC lines.
			if n > 19 && b[n-1] != 'Z' && string(b[n-6:n]) != "+00:00" {
				c.valid = false
			}
		}
		return us, n, frac, zone, ok
	}
	// Fast path: "…:SS.ffffff+00:00", the shape of aws logs tail.
	if b[16] != ':' {
		return parseISO(b)
	}
	sec, ok1 := digits(b[17:19])
	f, ok2 := digits(b[20:26])
	if !ok1 || !ok2 || sec > 60 {
		return parseISO(b)
	}
	return c.minuteUs + int64(sec)*1e6 + int64(f), 32, true, true, true
}
