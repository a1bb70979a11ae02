using System.Diagnostics;
using System.Text.RegularExpressions;
using LocalMesh.Emulator.Configuration;
using LocalMesh.Emulator.Telemetry;

namespace LocalMesh.EndToEnd.Tests;

/// <summary>
/// The documented outcomes of Istio's bookinfo tasks (docs/semantics.md, last section), on the sample
/// app. Each test switches the running mesh to the scenario the AppHost's <c>--scenario</c>
/// switch would start it in, and puts the configuration back afterwards.
/// </summary>
[Collection(SampleAppCollection.Name)]
public sealed partial class BookinfoTaskTests(SampleAppFixture fixture)
{
    [Fact]
    public async Task RequestRoutingSendsJasonToV2AndEveryoneElseToV1()
    {
        using var _ = fixture.UseScenario("reviews-v2-for-jason");

        for (var load = 0; load < 6; load++)
        {
            Assert.Equal("black", StarColor(await fixture.LoadPageAsync("jason")));
            Assert.Equal("none", StarColor(await fixture.LoadPageAsync("kim")));
            Assert.Equal("none", StarColor(await fixture.LoadPageAsync(null)));
        }
    }

    [Fact]
    public async Task AllToV1ShowsNoStars()
    {
        using var _ = fixture.UseScenario("reviews-v1");

        for (var load = 0; load < 8; load++)
        {
            Assert.Equal("none", StarColor(await fixture.LoadPageAsync(null)));
        }
    }

    [Fact]
    public async Task TrafficShiftingSplitsFiftyFiftyBetweenV1AndV3ThenMovesAllToV3()
    {
        using (fixture.UseScenario("reviews-50-v3"))
        {
            var colors = new List<string>();
            for (var load = 0; load < 40; load++)
            {
                colors.Add(StarColor(await fixture.LoadPageAsync(null)));
            }

            Assert.DoesNotContain("black", colors);
            // Binomial(40, 0.5): 4 standard deviations either side of 20.
            Assert.InRange(colors.Count(color => color == "red"), 8, 32);
        }

        using (fixture.UseScenario("reviews-v3"))
        {
            for (var load = 0; load < 8; load++)
            {
                Assert.Equal("red", StarColor(await fixture.LoadPageAsync(null)));
            }
        }
    }

    [Fact]
    public async Task RequestTimeoutGivesUpOnReviewsAfterTwoHalfSecondTries()
    {
        using var _ = fixture.UseScenario("reviews-timeout");
        var requestId = Guid.NewGuid().ToString();

        var stopwatch = Stopwatch.StartNew();
        var html = await fixture.LoadPageAsync(null, requestId);
        stopwatch.Stop();

        Assert.Contains("Sorry, product reviews are currently unavailable for this book.", html);
        var reviewsCalls = await fixture.WaitForSpansAsync(requestId, span =>
            Tag(span, "reporter") == "source" && Tag(span, "source_workload") == "productpage-v1" && Tag(span, "destination_service_name") == "reviews", 2);
        Assert.Equal(2, reviewsCalls.Count);
        Assert.All(reviewsCalls, span =>
        {
            Assert.Equal("504", Tag(span, "response_code"));
            Assert.Equal("UT", Tag(span, "response_flags"));
        });
        // Two tries of 0.5 s, not the 2 s ratings delay.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1.9));
    }

    [Fact]
    public async Task ADelayedRatingsMakesTheJasonPageGiveUpOnReviewsAfterAboutSixSeconds()
    {
        using var _ = fixture.UseScenario("ratings-delay-for-jason");
        var requestId = Guid.NewGuid().ToString();

        var stopwatch = Stopwatch.StartNew();
        var html = await fixture.LoadPageAsync("jason", requestId);
        stopwatch.Stop();

        Assert.Contains("Sorry, product reviews are currently unavailable for this book.", html);
        // productpage's 3 s timeout and one retry: about 6 s, not the 7 s of the delay.
        Assert.InRange(stopwatch.Elapsed, TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(6.9));
        var ratingsCalls = await fixture.WaitForSpansAsync(requestId, span =>
            Tag(span, "reporter") == "source" && Tag(span, "destination_service_name") == "ratings", 1);
        Assert.Contains(ratingsCalls, span => Tag(span, "response_flags")!.Contains("DI", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnAbortedRatingsShowsRatingsUnavailableToJasonAtOnce()
    {
        using var _ = fixture.UseScenario("ratings-abort-for-jason");
        var requestId = Guid.NewGuid().ToString();

        var stopwatch = Stopwatch.StartNew();
        var html = await fixture.LoadPageAsync("jason", requestId);
        stopwatch.Stop();

        Assert.Contains("Ratings service is currently unavailable", html);
        Assert.Contains("Reviews served by: reviews-v2-", html);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"The page took {stopwatch.Elapsed}; an abort answers at once.");
        var ratings = await fixture.WaitForSpansAsync(requestId, span =>
            Tag(span, "reporter") == "source" && Tag(span, "destination_service_name") == "ratings", 1);
        Assert.All(ratings, span => Assert.Equal(("500", "FI"), (Tag(span, "response_code"), Tag(span, "response_flags"))));
        Assert.Equal("none", StarColor(await fixture.LoadPageAsync("kim")));
    }

    /// <summary>The color of the page's stars, or "none" (reviews v1, or no reviews).</summary>
    private static string StarColor(string html) => StarsColor().Match(html) is { Success: true } match ? match.Groups[1].Value : "none";

    private static string? Tag(Activity span, string name) => span.GetTagItem(name)?.ToString();

    [GeneratedRegex("class=\"stars\" data-color=\"([a-z]+)\"")]
    private static partial Regex StarsColor();
}
