using System.Runtime.CompilerServices;
using Xunit;

namespace LocalMesh.Testing;

/// <summary>
/// Waiting for state that changes on another thread or process: polled, with a cap; past the cap the
/// test fails, naming what it waited for. Never a fixed sleep.
/// </summary>
public static class Eventually
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="cap"/>.</summary>
    public static Task TrueAsync(Func<bool> condition, TimeSpan cap, [CallerArgumentExpression(nameof(condition))] string what = "") =>
        TrueAsync(() => Task.FromResult(condition()), cap, what);

    /// <summary>Polls <paramref name="condition"/> until it holds; fails after <paramref name="cap"/>.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan cap, [CallerArgumentExpression(nameof(condition))] string what = "")
    {
        var deadline = DateTime.UtcNow + cap;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {cap.TotalSeconds:0.#} s: {what}");
            }

            await Task.Delay(PollEvery);
        }
    }

    /// <summary>Polls <paramref name="read"/> until its value satisfies <paramref name="expected"/> and returns that value; fails after <paramref name="cap"/> with the last value read.</summary>
    public static async Task<T> ValueAsync<T>(Func<Task<T>> read, Func<T, bool> expected, TimeSpan cap, [CallerArgumentExpression(nameof(expected))] string what = "")
    {
        var deadline = DateTime.UtcNow + cap;
        while (true)
        {
            var value = await read();
            if (expected(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {cap.TotalSeconds:0.#} s: {what} (last: {value})");
            }

            await Task.Delay(PollEvery);
        }
    }
}
