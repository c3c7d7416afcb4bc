package org.nnstate;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Runs the @Test methods of the classes named on the command line (a fresh instance per test)
 * and exits 1 if any failed. Plain javac and this runner instead of JUnit: Debian's junit5
 * package is not needed then, and ctest runs one JVM per test class.
 */
public final class TestRunner {
  private TestRunner() {}

  public static void main(String[] args) throws Exception {
    int failed = 0;
    int passed = 0;
    for (String name : args) {
      Class<?> cls = Class.forName(name);
      Method[] methods = cls.getDeclaredMethods();
      Arrays.sort(methods, Comparator.comparing(Method::getName));
      int tests = 0;
      for (Method m : methods) {
        if (!m.isAnnotationPresent(Test.class)) {
          continue;
        }
        ++tests;
        if (!Modifier.isPublic(m.getModifiers()) || m.getParameterCount() != 0) {
          System.out.println("FAIL " + cls.getSimpleName() + "." + m.getName()
              + ": a @Test must be public with no parameters");
          ++failed;
          continue;
        }
        try {
          Object instance = cls.getDeclaredConstructor().newInstance();
          m.invoke(instance);
          System.out.println("ok   " + cls.getSimpleName() + "." + m.getName());
          ++passed;
        } catch (InvocationTargetException e) {
          System.out.println("FAIL " + cls.getSimpleName() + "." + m.getName() + ": "
              + e.getCause());
          e.getCause().printStackTrace(System.out);
          ++failed;
        }
      }
      if (tests == 0) {
        System.out.println("FAIL " + name + " has no @Test methods");
        ++failed;
      }
    }
    System.out.println(passed + " passed, " + failed + " failed");
    System.exit(failed == 0 ? 0 : 1);
  }
}
