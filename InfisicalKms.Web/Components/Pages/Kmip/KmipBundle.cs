using System.IO.Compression;
using System.Text;
using InfisicalKms.Core.Kmip;

namespace InfisicalKms.Web.Components.Pages.Kmip;

/// <summary>
/// The one download of a freshly issued client certificate: <c>kmip-&lt;client&gt;.zip</c> with <c>client.pem</c>,
/// <c>client.key</c> (only when the server made the key pair), <c>ca.pem</c> and a PyKMIP <c>pykmip.conf</c>.
/// </summary>
/// <remarks>
/// Built in memory when the user clicks Download and handed to the browser; nothing is written to disk. The private
/// key is a string (it cannot be zeroed) held only by the dialog that issued it, and goes with that dialog.
/// </remarks>
public static class KmipBundle
{
    public const string CertificateFile = "client.pem";
    public const string PrivateKeyFile = "client.key";
    public const string CaFile = "ca.pem";
    public const string ConfigFile = "pykmip.conf";

    private const int Readable = 0b1_000_000_110_100_100;   // regular file, rw-r--r--
    private const int OwnerOnly = 0b1_000_000_110_000_000;  // regular file, rw-------

    public static string FileName(string clientName) => $"kmip-{clientName}.zip";

    public static byte[] Create(KmipIssuedCertificate issued, string host, int port)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            Add(zip, CertificateFile, issued.CertificatePem);
            if (issued.PrivateKeyPem is not null)
            {
                Add(zip, PrivateKeyFile, issued.PrivateKeyPem, OwnerOnly);
            }

            Add(zip, CaFile, issued.CaCertificatePem);
            Add(zip, ConfigFile, PyKmipConfig(host, port, issued.PrivateKeyPem is not null));
        }

        return buffer.ToArray();
    }

    /// <summary>A <c>[client]</c> section for PyKMIP's <c>ProxyKmipClient(config='client', config_file=...)</c>, paths relative to the bundle.</summary>
    public static string PyKmipConfig(string host, int port, bool keyIncluded)
    {
        var text = new StringBuilder();
        text.Append("# PyKMIP client settings for InfisicalKms; run PyKMIP from the folder of this file.\n");
        if (!keyIncluded)
        {
            text.Append("# client.key is the private key of your certificate request: put it next to this file.\n");
        }

        text.Append("[client]\n")
            .Append("host=").Append(host).Append('\n')
            .Append("port=").Append(port.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('\n')
            .Append("certfile=").Append(CertificateFile).Append('\n')
            .Append("keyfile=").Append(PrivateKeyFile).Append('\n')
            .Append("ca_certs=").Append(CaFile).Append('\n')
            .Append("cert_reqs=CERT_REQUIRED\n")
            .Append("ssl_version=PROTOCOL_TLS\n");
        return text.ToString();
    }

    private static void Add(ZipArchive zip, string name, string text, int mode = Readable)
    {
        ZipArchiveEntry entry = zip.CreateEntry(name, CompressionLevel.Optimal);
        entry.ExternalAttributes = mode << 16;   // Unix permissions, which unzip applies: the key readable by its owner only
        using Stream stream = entry.Open();
        stream.Write(Encoding.ASCII.GetBytes(text.EndsWith('\n') ? text : text + "\n"));
    }
}
