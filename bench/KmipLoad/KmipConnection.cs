using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Kmip.Ttlv;

namespace KmipLoad;

/// <summary>One mutual-TLS connection to a KMIP server, one request in flight at a time.</summary>
internal sealed class KmipConnection : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly SslStream _tls;

    private KmipConnection(TcpClient tcp, SslStream tls)
    {
        _tcp = tcp;
        _tls = tls;
    }

    /// <summary>
    /// Connects and completes the TLS handshake, presenting <paramref name="credentials"/>' client certificate and
    /// trusting a server certificate only when it chains to the given CA and names <see cref="LoadOptions.Host"/>.
    /// </summary>
    public static async Task<KmipConnection> OpenAsync(LoadOptions options, ClientCredentials credentials, CancellationToken ct)
    {
        var tcp = new TcpClient { NoDelay = true };
        SslStream? tls = null;
        try
        {
            await tcp.ConnectAsync(options.Host, options.Port, ct);
            tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
            {
                TargetHost = options.Host,
                ClientCertificateContext = credentials.Certificate,
                EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
                CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                CertificateChainPolicy = credentials.ServerTrust(),
            }, ct);
            return new KmipConnection(tcp, tls);
        }
        catch
        {
            tls?.Dispose();
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>Sends one encoded request message and reads and decodes the response message.</summary>
    public async Task<TtlvItem> SendAsync(byte[] request, CancellationToken ct)
    {
        await _tls.WriteAsync(request, ct);
        byte[] response = await TtlvCodec.ReadMessageAsync(_tls, TtlvLimits.Default, ct)
            ?? throw new EndOfStreamException(
                "The server closed the connection instead of answering (under TLS 1.3 a refused client certificate shows this way)");
        return TtlvCodec.Decode(response, TtlvLimits.Default);
    }

    public async ValueTask DisposeAsync()
    {
        await _tls.DisposeAsync();
        _tcp.Dispose();
    }
}

/// <summary>The client certificate with its key, and the trust policy for the server certificate: the given CA alone.</summary>
internal sealed class ClientCredentials : IDisposable
{
    private readonly X509Certificate2 _certificate;
    private readonly X509Certificate2 _ca;

    public ClientCredentials(string certificatePath, string keyPath, string caPath)
    {
        _certificate = X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
        _ca = X509CertificateLoader.LoadCertificateFromFile(caPath);
        Certificate = SslStreamCertificateContext.Create(_certificate, additionalCertificates: null, offline: true);
    }

    public SslStreamCertificateContext Certificate { get; }

    /// <summary>A policy of its own for each handshake (chain building may change the policy it is given).</summary>
    public X509ChainPolicy ServerTrust()
    {
        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.Add(_ca);
        return policy;
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _ca.Dispose();
    }
}
