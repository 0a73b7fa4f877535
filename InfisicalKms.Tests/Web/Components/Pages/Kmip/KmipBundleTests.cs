using System.IO.Compression;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Web.Components.Pages.Kmip;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

public sealed class KmipBundleTests
{
    [Fact]
    public void PyKmipConfig_NamesTheBundlesFilesAndTheServer()
    {
        string config = KmipBundle.PyKmipConfig("kms.example.com", 5696, keyIncluded: true);

        Assert.EndsWith(
            "[client]\nhost=kms.example.com\nport=5696\ncertfile=client.pem\nkeyfile=client.key\nca_certs=ca.pem\ncert_reqs=CERT_REQUIRED\nssl_version=PROTOCOL_TLS\n",
            config);
        Assert.DoesNotContain("put it next to this file", config);
        Assert.Contains("client.key is the private key of your certificate request", KmipBundle.PyKmipConfig("h", 1, keyIncluded: false));
    }

    [Fact]
    public void Create_KeyEntryIsReadableByItsOwnerOnly()
    {
        var issued = new KmipIssuedCertificate("01", "CERT", "KEY", "CA", DateTime.UtcNow, DateTime.UtcNow.AddDays(1));

        using var zip = new ZipArchive(new MemoryStream(KmipBundle.Create(issued, "localhost", 5696)));

        Assert.Equal(["client.pem", "client.key", "ca.pem", "pykmip.conf"], zip.Entries.Select(e => e.FullName));
        Assert.Equal(Convert.ToInt32("100600", 8), zip.GetEntry("client.key")!.ExternalAttributes >>> 16);
        Assert.Equal(Convert.ToInt32("100644", 8), zip.GetEntry("client.pem")!.ExternalAttributes >>> 16);
        Assert.Equal("kmip-mysql-prod.zip", KmipBundle.FileName("mysql-prod"));
    }
}
