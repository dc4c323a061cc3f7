package example;

import java.util.function.Function;
import libdep.Dep;

/** A tiny Java "function": classes from a directory, a jar, a lambda and the JDK. */
public class Handler {
    static final String GREETING = Dep.greet("world");

    public static void main(String[] args) throws Exception {
        Function<String, String> upper = s -> s.toUpperCase();
        System.out.println(upper.apply(GREETING));
        Class.forName("java.util.concurrent.ConcurrentSkipListMap");
    }
}
