package profile

import "testing"

func TestJavaPackage(t *testing.T) {
	for class, want := range map[string]string{
		"java.lang.String": "java.lang",
		"java.util.concurrent.ConcurrentHashMap$Node":       "java.util.concurrent",
		"java.util.Map$Entry":                               "java.util",
		"com.example.Outer$Inner$Deeper":                    "com.example",
		"Main":                                              "", // the default package
		"Main$Inner":                                        "",
		"Hello$$Lambda$1/0x00007f8ca8000a08":                "", // hidden, host in the default package
		"example.Fn$$Lambda$14/0x0000000800c01000":          "example",
		"example.Fn$$Lambda/0x0000000800c01000":             "example", // JDK 21's lambda names
		"java.lang.invoke.LambdaForm$MH/0x0000000800c01000": "java.lang.invoke",
		"com.sun.proxy.$Proxy12":                            "com.sun.proxy",
		"jdk.internal.reflect.GeneratedMethodAccessor1":     "jdk.internal.reflect",
		"[Ljava.lang.String;":                               "java.lang",
		"[[Lcom.example.Outer$Inner;":                       "com.example",
		"[LMain;":                                           "",
		"[I":                                                "java.lang",
		"[[B":                                               "java.lang",
		"[Lcom.example.Cut":                                 "com.example", // cut short
		"":                                                  "",
		".Odd":                                              "",
		"/0x1":                                              "",
	} {
		if got := JavaPackage(class); got != want {
			t.Errorf("JavaPackage(%q) = %q, want %q", class, got, want)
		}
	}
}
