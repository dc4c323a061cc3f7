package profile

import "strings"

// JavaPackage returns the package of a Java class from its binary name, as
// the JVM's class-load log prints it, with Class.getPackageName's answers:
// "java.util" for "java.util.Map$Entry" (a nested class is in its outer
// class's package), "" for a class in the default package. A hidden class
// (a lambda's "example.Fn$$Lambda/0x…", JDK 8's "Fn$$Lambda$1/123") is in
// its host class's package; an array class ("[[Ljava.lang.String;") in its
// element type's, one of a primitive type ("[I") in "java.lang".
func JavaPackage(class string) string {
	if elem, ok := strings.CutPrefix(class, "["); ok {
		elem = strings.TrimLeft(elem, "[")
		if len(elem) == 1 && strings.Contains("ZBCDFIJS", elem) {
			return "java.lang" // [I, [[B: a primitive element type
		}
		elem, _ = strings.CutPrefix(elem, "L")
		class, _ = strings.CutSuffix(elem, ";")
	}
	if i := strings.IndexByte(class, '/'); i >= 0 {
		class = class[:i] // a hidden class's suffix
	}
	if i := strings.LastIndexByte(class, '.'); i >= 0 {
		return class[:i]
	}
	return ""
}
