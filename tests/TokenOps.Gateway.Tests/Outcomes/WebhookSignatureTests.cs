using System.Text;
using TokenOps.Gateway.Outcomes;

namespace TokenOps.Gateway.Tests.Outcomes;

public sealed class WebhookSignatureTests
{
    // GitHub's documented test vector ("Validating webhook deliveries").
    private const string Secret = "It's a Secret to Everybody";
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");
    private const string Expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void MatchesGitHubsTestVector()
    {
        Assert.Equal(Expected, WebhookSignature.Sign(Secret, Body));
        Assert.True(WebhookSignature.Verify(Secret, Body, Expected));
        Assert.True(WebhookSignature.Verify(Secret, Body, Expected.ToUpperInvariant().Replace("SHA256=", "sha256=", StringComparison.Ordinal)));
        Assert.True(WebhookSignature.Verify(Secret, Body, Expected[7..])); // bare hex, as Linear sends it
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("sha256=")]
    [InlineData("sha1=757107ea0eb2509fc211221cce984b8a37570b6d")]
    [InlineData("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18")]
    [InlineData("sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17")]
    public void RefusesMissingMalformedOrWrong(string? presented) => Assert.False(WebhookSignature.Verify(Secret, Body, presented));

    [Fact]
    public void RefusesAnotherBodyOrSecret()
    {
        Assert.False(WebhookSignature.Verify(Secret, Encoding.UTF8.GetBytes("Hello, World?"), Expected));
        Assert.False(WebhookSignature.Verify("another secret", Body, Expected));
        Assert.True(WebhookSignature.SharedSecretMatches(Secret, Secret));
        Assert.False(WebhookSignature.SharedSecretMatches(Secret, Secret + " "));
        Assert.False(WebhookSignature.SharedSecretMatches(Secret, null));
    }
}
