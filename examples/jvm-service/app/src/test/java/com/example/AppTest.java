package com.example;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class AppTest {
  @Test
  public void greetsByNameWithVersion() {
    String expected = "{\"message\":\"Hello, ops!\",\"version\":\"1.2.3\",\"runtime\":\"java "
        + Runtime.version().feature() + "\"}";
    assertEquals(expected, App.greeting("ops", "1.2.3"));
  }

  @Test
  public void outsideAJarTheVersionIsDev() {
    assertEquals("dev", App.version());
  }
}
