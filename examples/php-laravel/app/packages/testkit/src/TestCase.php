<?php

declare(strict_types=1);

namespace Acme\Testkit;

/** A tiny test runner: every public method named test* of each case runs; failures exit 1. */
abstract class TestCase
{
    protected function assertSame(mixed $expected, mixed $actual): void
    {
        if ($expected !== $actual) {
            throw new \RuntimeException(sprintf("expected %s, got %s", var_export($expected, true), var_export($actual, true)));
        }
    }

    /** @param list<class-string<TestCase>> $cases */
    public static function run(array $cases): int
    {
        $failed = 0;
        foreach ($cases as $case) {
            foreach (get_class_methods($case) as $method) {
                if (!str_starts_with($method, 'test')) {
                    continue;
                }
                try {
                    (new $case())->$method();
                    echo "ok   {$case}::{$method}\n";
                } catch (\Throwable $e) {
                    $failed++;
                    echo "FAIL {$case}::{$method}: {$e->getMessage()}\n";
                }
            }
        }
        return $failed === 0 ? 0 : 1;
    }
}
