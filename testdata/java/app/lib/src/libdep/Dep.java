package libdep;

/** A class that ends up in a jar. */
public class Dep {
    public static String greet(String who) {
        return "hello " + who + " " + new java.util.StringJoiner(",").add("a").toString();
    }
}
