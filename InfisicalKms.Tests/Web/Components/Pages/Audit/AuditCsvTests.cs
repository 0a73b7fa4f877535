using InfisicalKms.Web.Components.Pages.Audit;

namespace InfisicalKms.Tests.Web.Components.Pages.Audit;

/// <summary>One CSV field: RFC 4180 quoting, and formula neutralising for spreadsheets (OWASP "CSV injection").</summary>
public sealed class AuditCsvTests
{
    [Theory]
    [InlineData(null, "")]
    [InlineData("", "")]
    [InlineData("cmek-encrypt", "cmek-encrypt")]
    [InlineData("a=b", "a=b")]                                  // only a leading sign is dangerous
    [InlineData("=1+1", "'=1+1")]
    [InlineData("+1", "'+1")]
    [InlineData("-1", "'-1")]
    [InlineData("@SUM(A1)", "'@SUM(A1)")]
    [InlineData("\tcmd", "'\tcmd")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("say \"hi\"", "\"say \"\"hi\"\"\"")]
    [InlineData("two\nlines", "\"two\nlines\"")]
    [InlineData("two\r\nlines", "\"two\r\nlines\"")]
    [InlineData("=HYPERLINK(\"x\",\"y\")", "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"")]   // neutralised, then quoted
    public void Cell_Value_IsQuotedAndNeutralisedAsNeeded(string? value, string expected) =>
        Assert.Equal(expected, AuditCsv.Cell(value));
}
