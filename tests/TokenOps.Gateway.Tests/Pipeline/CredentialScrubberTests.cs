using System.Text;
using TokenOps.Gateway.Pipeline;

namespace TokenOps.Gateway.Tests.Pipeline;

public sealed class CredentialScrubberTests
{
    private const string Key = "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789";

    [Theory]
    [InlineData("""{"error":{"message":"invalid x-api-key sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"}}""", """{"error":{"message":"invalid x-api-key [redacted]"}}""")]
    [InlineData("""{"m":"Incorrect API key provided: sk-ant-api03-AbCd****WxYz0123456789."}""", """{"m":"Incorrect API key provided: [redacted]****[redacted]."}""")]
    [InlineData("""{"m":"key ending 6789 or 456789 is fine"}""", """{"m":"key ending 6789 or 456789 is fine"}""")]
    [InlineData("""{"m":"IjKlMnOpQr inside"}""", """{"m":"[redacted] inside"}""")]
    public void Replaces_TheKeyAndEveryFragmentOfEightOrMore(string body, string expected)
    {
        Assert.Equal(expected, Encoding.UTF8.GetString(CredentialScrubber.Scrub(Encoding.UTF8.GetBytes(body), Key)));
    }

    [Fact]
    public void A_ShortKey_IsReplacedWhole_AndNoKeyChangesNothing()
    {
        Assert.Equal("a [redacted] b", Encoding.UTF8.GetString(CredentialScrubber.Scrub("a sim-key b"u8.ToArray(), "sim-key")));
        var body = "unchanged"u8.ToArray();
        Assert.Same(body, CredentialScrubber.Scrub(body, null));
    }
}
