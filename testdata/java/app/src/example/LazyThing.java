package example;

/** Loaded only when the handler first runs. */
public class LazyThing {
    public String name() {
        return "lazy " + new java.util.concurrent.ConcurrentSkipListSet<String>().size();
    }
}
