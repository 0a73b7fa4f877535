using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Ttlv;

namespace InfisicalKms.Tests.Kmip;

/// <summary>
/// A KMIP connection at the byte level, for what no real client sends: malformed and oversized TTLV. It speaks
/// mutual TLS with a client's bundle and trusts only the bundle's CA, as a KMIP client would.
/// </summary>
public sealed class KmipWireClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private KmipWireClient(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    public static async Task<KmipWireClient> ConnectAsync(int port, KmipBundle bundle)
    {
        using X509Certificate2 ca = X509CertificateLoader.LoadCertificateFromFile(bundle.CaPath);
        X509Certificate2 certificate = X509Certificate2.CreateFromPemFile(bundle.CertificatePath, bundle.PrivateKeyPath);
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var trust = new X509Certificate2Collection(X509CertificateLoader.LoadCertificate(ca.RawData));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            ClientCertificates = [certificate],
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { trust[0] },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        });
        return new KmipWireClient(tcp, tls);
    }

    /// <summary>Sends raw bytes as they are.</summary>
    public async Task SendAsync(byte[] bytes)
    {
        await _tls.WriteAsync(bytes);
        await _tls.FlushAsync();
    }

    /// <summary>The next response message, or null when the server closed the connection instead.</summary>
    public async Task<TtlvItem?> ReceiveAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            byte[]? message = await TtlvCodec.ReadMessageAsync(_tls, TtlvLimits.Default, timeout.Token);
            return message is null ? null : TtlvCodec.Decode(message, TtlvLimits.Default);
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async Task<TtlvItem> RequestAsync(TtlvItem request)
    {
        await SendAsync(TtlvCodec.Encode(request));
        return await ReceiveAsync() ?? throw new IOException("The server closed the connection");
    }

    /// <summary>A KMIP 1.4 request with one batch item.</summary>
    public static TtlvItem Request(KmipOperation operation, params TtlvItem?[] payload) =>
        TtlvItem.Structure(KmipTag.RequestMessage,
            TtlvItem.Structure(KmipTag.RequestHeader,
                TtlvItem.Structure(KmipTag.ProtocolVersion,
                    TtlvItem.Integer(KmipTag.ProtocolVersionMajor, 1),
                    TtlvItem.Integer(KmipTag.ProtocolVersionMinor, 4)),
                TtlvItem.Integer(KmipTag.BatchCount, 1)),
            TtlvItem.Structure(KmipTag.BatchItem,
                TtlvItem.Enumeration(KmipTag.Operation, (uint)operation),
                TtlvItem.Structure(KmipTag.RequestPayload, payload)));

    /// <summary>The only batch item of a response.</summary>
    public static TtlvItem Item(TtlvItem response) => Assert.Single(response.FindAll(KmipTag.BatchItem));

    public static KmipResultStatus Status(TtlvItem response) => (KmipResultStatus)Item(response).Require(KmipTag.ResultStatus).AsEnumeration();

    public static KmipResultReason? Reason(TtlvItem response) =>
        Item(response).Find(KmipTag.ResultReason) is { } reason ? (KmipResultReason)reason.AsEnumeration() : null;

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}
