package example;

import libdep.Dep;

/** A Java Lambda-style handler for coldprof run: global work in its static
 * initialiser and constructor (init), a class loaded only inside the handler
 * (invoke). */
public class Fn {
    static final String GREETING = Dep.greet("init");

    public String handleRequest(String event) {
        return "{\"greeting\":\"" + GREETING + "\",\"lazy\":\"" + new LazyThing().name() + "\"}";
    }
}
