using Xunit;
using TokenOps.Core.Exports;

namespace TokenOps.Core.Tests.Exports;

/// <summary>Every TokenOps CSV goes through one writer: RFC 4180 quoting plus formula neutralising.</summary>
public sealed class CsvTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"click\")", "\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"click\"\")\"")]
    [InlineData("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0")]
    [InlineData("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0")]
    [InlineData("@SUM(1+1)", "'@SUM(1+1)")]
    [InlineData("\t=1+1", "'\t=1+1")]
    [InlineData("\r=1+1", "\"'\r=1+1\"")]
    [InlineData("  =1+1", "'  =1+1")]
    [InlineData("\uFF1D1+1", "'\uFF1D1+1")]
    [InlineData("-", "'-")]
    public void Formulas_GetALeadingApostrophe(string field, string expected) => Assert.Equal(expected, CsvWriter.Escape(field));

    [Theory]
    [InlineData("-0.5")]
    [InlineData("-1E-09")]
    [InlineData("+5")]
    [InlineData("-12345.000000001")]
    [InlineData("a=b")]
    [InlineData("team-a")]
    [InlineData("2026-11-01T00:00:00Z")]
    public void Numbers_AndOrdinaryText_AreLeftAlone(string field) => Assert.Equal(field, CsvWriter.Escape(field));

    [Fact]
    public void TheRowWriter_Neutralises_TextCells_NotNumbers()
    {
        var text = new StringWriter();
        new CsvWriter(text).WriteRow(["-0.5", "=1+1", "@x", "3"]);
        Assert.Equal("-0.5,'=1+1,'@x,3\r\n", text.ToString());
    }
}
