using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Bunit;
using InfisicalKms.Core.Errors;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Projects;
using InfisicalKms.Tests.TestSupport;
using InfisicalKms.Web.Components.Pages.Kmip;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace InfisicalKms.Tests.Web.Components.Pages.Kmip;

/// <summary>
/// Issuing a client certificate from the KMIP page: the bundle is offered once, and the zip holds exactly the
/// certificate, its private key, the CA certificate and a PyKMIP configuration, each checked as a client would.
/// </summary>
public sealed class IssueKmipCertificateDialogTests(KmipCoreTestHost kmip) : KmipComponentTest(kmip.Core), IClassFixture<KmipCoreTestHost>
{
    private static readonly string ClientAuth = "1.3.6.1.5.5.7.3.2";

    [Fact]
    public async Task Issue_DefaultRsa2048_OffersTheBundleOnce_ZipHoldsFourFilesThatChainToTheCa()
    {
        // Arrange
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        KmipClient client = await CreateClientAsync(project, "mysql-prod", KmipPermissionGroups.Every);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        IRenderedComponent<MudDialogProvider> dialogs = Render<MudDialogProvider>();
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        IRenderedComponent<KmipPage> page = await RenderPageAsync(project);

        // Act: the form's defaults, then Issue
        OpenMenu(page, "mysql-prod");
        popovers.WaitForElement(".kmip-action-issuecertificate").Click();
        dialogs.WaitForElement("#kmip-issue");
        Assert.Equal("RSA 2048", dialogs.SelectedText("kmip-key-algorithm"));
        Assert.Equal("365", dialogs.FieldValue("kmip-ttl"));   // KmipSettings.DefaultCertificateDays
        Assert.Empty(dialogs.FindAll("#kmip-download-bundle"));
        dialogs.Find("#kmip-issue").Click();

        // Assert: one bundle button, a warning that the key is shown only now, serial and expiry
        dialogs.WaitForElement("#kmip-download-bundle", TimeSpan.FromSeconds(30));
        Assert.Single(dialogs.FindAll("#kmip-download-bundle"));
        Assert.Contains("cannot be shown or downloaded again", Text(dialogs.Find("#kmip-key-warning")));
        string serial = dialogs.Find("#kmip-serial").TextContent.Trim();
        snackbars.AssertSnackbar($"Certificate {serial} issued for mysql-prod");
        Assert.Empty(dialogs.FindAll("#kmip-issue"));
        KmipCertificate stored = Assert.Single(await Clients.ListCertificatesAsync(Core.AdminActor, client.Id.ToString(), CancellationToken.None));
        Assert.Equal(serial, stored.SerialNumber);
        Assert.Equal(stored.NotAfter.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture), dialogs.Find("#kmip-not-after").TextContent.Trim());

        // The download: one zip named after the client
        dialogs.Find("#kmip-download-bundle").Click();
        JSRuntimeInvocation download = JSInterop.VerifyInvoke("kms.downloadBytes");
        Assert.Equal("kmip-mysql-prod.zip", download.Arguments[0]);
        Assert.Equal("application/zip", download.Arguments[2]);
        Dictionary<string, string> files = Unzip((byte[])download.Arguments[1]!);
        Assert.Equal(["ca.pem", "client.key", "client.pem", "pykmip.conf"], files.Keys.Order(StringComparer.Ordinal));

        // client.pem: a client certificate for this client, signed by the CA in ca.pem (the authority's own)
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(files["client.pem"]);
        Assert.Equal(serial, certificate.SerialNumber);
        Assert.Equal(stored.Thumbprint, certificate.GetCertHash(HashAlgorithmName.SHA256));
        Assert.Contains($"CN={client.Id}", certificate.Subject);
        Assert.Contains(ClientAuth, certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.Equal(2048, certificate.GetRSAPublicKey()!.KeySize);
        string caPem = await Core.Services.GetRequiredService<KmipCertificateAuthority>().GetCertificatePemAsync(CancellationToken.None);
        Assert.Equal(caPem.Trim(), files["ca.pem"].Trim());
        AssertChainsTo(certificate, files["ca.pem"]);

        // client.key: the private key of exactly that certificate
        using X509Certificate2 withKey = X509Certificate2.CreateFromPem(files["client.pem"], files["client.key"]);
        Assert.True(withKey.HasPrivateKey);
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", files["client.key"]);

        // pykmip.conf: a [client] section naming the bundle's files and this server
        Assert.Equal(
            "[client]\nhost=kms.example.com\nport=15696\ncertfile=client.pem\nkeyfile=client.key\nca_certs=ca.pem\ncert_reqs=CERT_REQUIRED\nssl_version=PROTOCOL_TLS\n",
            string.Concat(files["pykmip.conf"].Split('\n').Where(l => !l.StartsWith('#')).Select(l => l + "\n")).TrimEnd('\n') + "\n");

        // Done closes the dialog; opening it again offers a new certificate, never the old key
        dialogs.Find("#kmip-issue-done").Click();
        dialogs.WaitForAssertion(() => Assert.Empty(dialogs.FindAll(".mud-dialog")));
        OpenMenu(page, "mysql-prod");
        popovers.WaitForElement(".kmip-action-issuecertificate").Click();
        dialogs.WaitForElement("#kmip-issue");
        Assert.Empty(dialogs.FindAll("#kmip-download-bundle"));
        Assert.Empty(dialogs.FindAll("#kmip-serial"));
        Assert.DoesNotContain("PRIVATE KEY", dialogs.Markup);
    }

    [Fact]
    public async Task Issue_EcP384WithTtl_CertifiesAnEcKeyForThatLong()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        KmipClient client = await CreateClientAsync(project, "ec-device", KmipPermissions.Get);
        IRenderedComponent<MudPopoverProvider> popovers = Render<MudPopoverProvider>();
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAsync(new DialogParameters<IssueKmipCertificateDialog> { { d => d.Client, client } });

        dialogs.WaitForElement("#kmip-issue");
        dialogs.OpenSelect("kmip-key-algorithm");
        Assert.Equal(["RSA 2048", "RSA 4096", "EC P-256 (prime256v1)", "EC P-384 (secp384r1)"], popovers.OpenOptions());
        popovers.ChooseOption("EC P-384 (secp384r1)");
        dialogs.Find("#kmip-ttl").Change("30");
        dialogs.Find("#kmip-issue").Click();
        dialogs.WaitForElement("#kmip-download-bundle", TimeSpan.FromSeconds(30)).Click();

        Dictionary<string, string> files = Unzip((byte[])JSInterop.VerifyInvoke("kms.downloadBytes").Arguments[1]!);
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(files["client.pem"], files["client.key"]);
        Assert.Equal(384, certificate.GetECDsaPublicKey()!.KeySize);
        Assert.InRange(certificate.NotAfter.ToUniversalTime() - DateTime.UtcNow, TimeSpan.FromDays(29.9), TimeSpan.FromDays(30.1));
        AssertChainsTo(certificate, files["ca.pem"]);
    }

    [Fact]
    public async Task Issue_WithCsr_CertifiesItsKey_AndTheBundleHasNoPrivateKey()
    {
        // Arrange: the device's own key pair and request
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        KmipClient client = await CreateClientAsync(project, "csr-device", KmipPermissions.Encrypt);
        using ECDsa deviceKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string csr = new CertificateRequest("CN=whatever-the-device-says", deviceKey, HashAlgorithmName.SHA256).CreateSigningRequestPem();
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAsync(new DialogParameters<IssueKmipCertificateDialog> { { d => d.Client, client } });

        // Act
        dialogs.WaitForElement("#kmip-use-csr").Click();
        Assert.Empty(dialogs.FindAll("#kmip-key-algorithm"));
        Assert.True(dialogs.WaitForElement("#kmip-issue").HasAttribute("disabled"));   // no request pasted yet
        dialogs.Find("#kmip-csr").Input(csr);
        dialogs.Find("#kmip-issue").Click();

        // Assert
        dialogs.WaitForElement("#kmip-download-bundle", TimeSpan.FromSeconds(30)).Click();
        Assert.Contains("private key of your request stays with you", Text(dialogs.Find("#kmip-key-warning")));
        Dictionary<string, string> files = Unzip((byte[])JSInterop.VerifyInvoke("kms.downloadBytes").Arguments[1]!);
        Assert.Equal(["ca.pem", "client.pem", "pykmip.conf"], files.Keys.Order(StringComparer.Ordinal));
        using X509Certificate2 certificate = X509Certificate2.CreateFromPem(files["client.pem"]);
        Assert.Equal(deviceKey.ExportSubjectPublicKeyInfo(), certificate.PublicKey.ExportSubjectPublicKeyInfo());
        AssertChainsTo(certificate, files["ca.pem"]);
        Assert.Contains("keyfile=client.key", files["pykmip.conf"]);
    }

    [Fact]
    public async Task Issue_BadCsr_ShowsTheServicesMessageAndStaysOnTheForm()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        KmipClient client = await CreateClientAsync(project, "bad-csr", KmipPermissions.Encrypt);
        const string NotACsr = "-----BEGIN CERTIFICATE REQUEST-----\nbm90IGEgcmVxdWVzdA==\n-----END CERTIFICATE REQUEST-----";
        KmsException refusal = await Assert.ThrowsAnyAsync<KmsException>(() => Clients.IssueCertificateAsync(
            Core.AdminActor, client.Id.ToString(), new IssueKmipCertificateRequest(null, NotACsr, null), CancellationToken.None));
        IRenderedComponent<MudSnackbarProvider> snackbars = Render<MudSnackbarProvider>();
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAsync(new DialogParameters<IssueKmipCertificateDialog> { { d => d.Client, client } });

        dialogs.WaitForElement("#kmip-use-csr").Click();
        dialogs.WaitForElement("#kmip-csr").Input(NotACsr);
        dialogs.Find("#kmip-issue").Click();

        snackbars.AssertSnackbar(refusal.Message);
        Assert.NotEmpty(dialogs.FindAll("#kmip-issue"));
        Assert.Empty(dialogs.FindAll("#kmip-download-bundle"));
        Assert.Empty(await Clients.ListCertificatesAsync(Core.AdminActor, client.Id.ToString(), CancellationToken.None));
    }

    [Fact]
    public async Task Ttl_OutOfRange_IsHeldToOneTo3650Days()
    {
        Project project = await Core.CreateProjectAsync($"Kmip {Guid.NewGuid():N}"[..16]);
        KmipClient client = await CreateClientAsync(project, "ttl-check", KmipPermissions.Encrypt);
        (IRenderedComponent<MudDialogProvider> dialogs, _) = await ShowAsync(new DialogParameters<IssueKmipCertificateDialog> { { d => d.Client, client } });

        dialogs.WaitForElement("#kmip-ttl").Change("0");
        dialogs.WaitForAssertion(() => Assert.Equal("1", dialogs.FieldValue("kmip-ttl")));
        dialogs.Find("#kmip-ttl").Change("5000");
        dialogs.WaitForAssertion(() => Assert.Equal("3650", dialogs.FieldValue("kmip-ttl")));
        Assert.False(dialogs.Find("#kmip-issue").HasAttribute("disabled"));
    }

    private static string Text(AngleSharp.Dom.IElement element) => string.Join(' ', element.TextContent.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    private static Dictionary<string, string> Unzip(byte[] zip)
    {
        using var archive = new ZipArchive(new MemoryStream(zip), ZipArchiveMode.Read);
        return archive.Entries.ToDictionary(e => e.FullName, e =>
        {
            using var reader = new StreamReader(e.Open(), Encoding.ASCII);
            return reader.ReadToEnd();
        });
    }

    /// <summary>Chains to exactly this CA, as a TLS peer trusting only ca.pem would check it.</summary>
    private static void AssertChainsTo(X509Certificate2 certificate, string caPem)
    {
        using X509Certificate2 ca = X509Certificate2.CreateFromPem(caPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool built = chain.Build(certificate);
        Assert.True(built, string.Join("; ", chain.ChainStatus.Select(s => $"{s.Status}: {s.StatusInformation}")));
        Assert.Equal(ca.Thumbprint, chain.ChainElements[^1].Certificate.Thumbprint);
        Assert.Equal(2, chain.ChainElements.Count);
    }
}
