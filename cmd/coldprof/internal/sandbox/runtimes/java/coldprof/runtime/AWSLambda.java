package coldprof.runtime;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * coldprof's Java runtime client for {@code coldprof run --runtime java}: the
 * counterpart of Lambda's com.amazonaws.services.lambda.runtime.api.client.AWSLambda,
 * with no dependency beyond the JDK.
 *
 * <p>Like Lambda's java17 runtime it takes the handler as its last argument
 * (else from _HANDLER), "pkg.Class::method" or "pkg.Class" (method
 * handleRequest), loads the class during init from LAMBDA_TASK_ROOT (its class
 * files and lib/*.jar, initialising it and creating the instance for an
 * instance method), then loops on the Runtime API. The handler method may take
 * (String event), (String event, context), (InputStream, OutputStream) or
 * (InputStream, OutputStream, context); context is a java.util.Map of the
 * usual attributes when the parameter accepts one, null otherwise (Lambda's
 * Context interface lives in aws-lambda-java-core, which is not here). A
 * String result that is JSON is posted as it is, any other is posted as a
 * JSON string. POJO (de)serialisation is not emulated.
 */
public final class AWSLambda {
    private static final String BASE = "/2018-06-01/runtime";

    private AWSLambda() {}

    public static void main(String[] args) throws Exception {
        String api = System.getenv("AWS_LAMBDA_RUNTIME_API");
        String spec = args.length > 0 ? args[args.length - 1] : System.getenv("_HANDLER");
        Object target = null;
        Method method;
        warmUp(api);
        try {
            String className = spec;
            String methodName = "handleRequest";
            int sep = spec.indexOf("::");
            if (sep >= 0) {
                className = spec.substring(0, sep);
                methodName = spec.substring(sep + 2);
            }
            ClassLoader loader = taskLoader();
            Class<?> cls = Class.forName(className, true, loader);
            method = findMethod(cls, methodName);
            if (!Modifier.isStatic(method.getModifiers())) {
                target = cls.getDeclaredConstructor().newInstance();
            }
        } catch (Throwable t) {
            t.printStackTrace();
            post(api, BASE + "/init/error", errorJson(t), "Runtime.ImportModuleError");
            System.exit(1);
            return;
        }
        while (true) {
            HttpURLConnection next = (HttpURLConnection) new URL("http://" + api + BASE + "/invocation/next").openConnection();
            next.setReadTimeout(0);
            byte[] event = readAll(next.getInputStream());
            String id = next.getHeaderField("Lambda-Runtime-Aws-Request-Id");
            Map<String, Object> context = context(next);
            try {
                byte[] out = call(method, target, event, context);
                post(api, BASE + "/invocation/" + id + "/response", out, null);
            } catch (Throwable t) {
                Throwable cause = t instanceof java.lang.reflect.InvocationTargetException ? t.getCause() : t;
                cause.printStackTrace();
                post(api, BASE + "/invocation/" + id + "/error", errorJson(cause), cause.getClass().getName());
            }
        }
    }

    /**
     * Loads what the first Runtime API call needs before the handler is
     * loaded, as Python's client imports http.client first: else the JDK's
     * HTTP, proxy, socket and logging classes that call loads would land in
     * the function's init phase. It opens a connection to the Runtime API and
     * closes it without sending a request (an HTTP server drops such a
     * connection silently). Failures are ignored: the real call reports them.
     */
    private static void warmUp(String api) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL("http://" + api + BASE + "/invocation/next").openConnection();
            c.setReadTimeout(0);
            c.setRequestMethod("GET");
            c.connect();
            c.disconnect();
        } catch (Exception e) {
            // the real call reports it
        }
    }

    private static ClassLoader taskLoader() throws Exception {
        String root = System.getenv("LAMBDA_TASK_ROOT");
        if (root == null || root.isEmpty()) {
            root = System.getProperty("user.dir");
        }
        List<URL> urls = new ArrayList<>();
        urls.add(new File(root).toURI().toURL());
        File[] jars = new File(root, "lib").listFiles((d, n) -> n.endsWith(".jar"));
        if (jars != null) {
            java.util.Arrays.sort(jars);
            for (File jar : jars) {
                urls.add(jar.toURI().toURL());
            }
        }
        return new URLClassLoader(urls.toArray(new URL[0]), AWSLambda.class.getClassLoader());
    }

    private static Method findMethod(Class<?> cls, String name) throws NoSuchMethodException {
        Method best = null;
        for (Method m : cls.getMethods()) {
            if (m.getName().equals(name) && (best == null || m.getParameterCount() > best.getParameterCount())) {
                best = m;
            }
        }
        if (best == null) {
            throw new NoSuchMethodException(cls.getName() + "::" + name);
        }
        return best;
    }

    private static byte[] call(Method m, Object target, byte[] event, Map<String, Object> context) throws Exception {
        Class<?>[] types = m.getParameterTypes();
        if (types.length >= 2 && types[0] == InputStream.class && types[1] == OutputStream.class) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Object[] a = types.length == 3
                ? new Object[] {new java.io.ByteArrayInputStream(event), out, contextArg(types[2], context)}
                : new Object[] {new java.io.ByteArrayInputStream(event), out};
            m.invoke(target, a);
            return out.toByteArray();
        }
        Object[] a = new Object[types.length];
        if (types.length >= 1) {
            a[0] = new String(event, StandardCharsets.UTF_8);
        }
        if (types.length >= 2) {
            a[1] = contextArg(types[1], context);
        }
        Object result = m.invoke(target, a);
        return toJson(result).getBytes(StandardCharsets.UTF_8);
    }

    private static Object contextArg(Class<?> type, Map<String, Object> context) {
        return type.isInstance(context) ? context : null;
    }

    private static Map<String, Object> context(HttpURLConnection next) {
        Map<String, Object> c = new HashMap<>();
        c.put("awsRequestId", next.getHeaderField("Lambda-Runtime-Aws-Request-Id"));
        c.put("invokedFunctionArn", next.getHeaderField("Lambda-Runtime-Invoked-Function-Arn"));
        c.put("deadlineMs", next.getHeaderField("Lambda-Runtime-Deadline-Ms"));
        c.put("functionName", System.getenv("AWS_LAMBDA_FUNCTION_NAME"));
        c.put("functionVersion", System.getenv("AWS_LAMBDA_FUNCTION_VERSION"));
        c.put("memoryLimitInMB", System.getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"));
        c.put("logGroupName", System.getenv("AWS_LAMBDA_LOG_GROUP_NAME"));
        c.put("logStreamName", System.getenv("AWS_LAMBDA_LOG_STREAM_NAME"));
        return c;
    }

    private static String toJson(Object v) {
        if (v == null) {
            return "null";
        }
        String s = v.toString().trim();
        if (v instanceof Number || v instanceof Boolean) {
            return s;
        }
        if (!s.isEmpty() && "{[\"".indexOf(s.charAt(0)) >= 0) {
            return s;
        }
        return quote(s);
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                b.append('\\').append(c);
            } else if (c < 0x20) {
                b.append(String.format("\\u%04x", (int) c));
            } else {
                b.append(c);
            }
        }
        return b.append('"').toString();
    }

    private static byte[] errorJson(Throwable t) {
        String msg = t.getMessage() == null ? "" : t.getMessage();
        return ("{\"errorType\":" + quote(t.getClass().getName()) + ",\"errorMessage\":" + quote(msg) + "}")
            .getBytes(StandardCharsets.UTF_8);
    }

    private static void post(String api, String path, byte[] body, String errorType) throws Exception {
        HttpURLConnection c = (HttpURLConnection) new URL("http://" + api + path).openConnection();
        c.setRequestMethod("POST");
        c.setDoOutput(true);
        c.setRequestProperty("Content-Type", "application/json");
        if (errorType != null) {
            c.setRequestProperty("Lambda-Runtime-Function-Error-Type", errorType);
        }
        try (OutputStream out = c.getOutputStream()) {
            out.write(body);
        }
        readAll(c.getResponseCode() >= 400 ? c.getErrorStream() : c.getInputStream());
    }

    private static byte[] readAll(InputStream in) throws Exception {
        if (in == null) {
            return new byte[0];
        }
        try (InputStream s = in) {
            return s.readAllBytes();
        }
    }
}
