using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Kmip;
using InfisicalKms.Core.Kmip.Server;
using InfisicalKms.Core.Kmip.Ttlv;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace InfisicalKms.Web.Kmip;

/// <summary>
/// The KMIP listener (<c>Kms:Kmip:*</c>): TTLV over mutual TLS 1.2 or later on its own port, in the server's
/// process, answering with <see cref="KmipServer"/>. Off unless <c>Kms:Kmip:Enabled</c> is true.
/// </summary>
/// <remarks>
/// <para>A client is admitted during the TLS handshake only with a certificate issued by this instance's KMIP
/// CA to a client that exists and is not revoked; anything else fails the handshake. The client's row is read
/// again for every message, so revoking it refuses the next request on an open connection too.</para>
/// <para>One bad connection never stops the others: each has its own task, its size limit
/// (<c>MaxMessageBytes</c>, checked on the header before the body is read), its idle timeout, and a message
/// that cannot be framed closes only that connection.</para>
/// </remarks>
public sealed class KmipListener(
    IOptions<KmipSettings> options, KmipCertificateAuthority authority, KmipServer server, IDbContextFactory<KmsDbContext> dbFactory,
    TimeProvider clock, ILogger<KmipListener> logger) : BackgroundService
{
    private static readonly TimeSpan HandshakeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Server certificates are issued for this long and renewed when a third of it is left.</summary>
    private static readonly TimeSpan ServerCertificateLifetime = TimeSpan.FromDays(90);

    private readonly KmipSettings _settings = options.Value;
    private readonly SemaphoreSlim _certificateLock = new(1, 1);
    private TcpListener? _listener;
    private SemaphoreSlim? _slots;
    private SslStreamCertificateContext? _certificate;
    private DateTimeOffset _renewAt;
    private int _connections;

    /// <summary>The port listened on, once started (the configured one, or the free one picked for port 0); null when KMIP is off.</summary>
    public int? Port { get; private set; }

    /// <summary>Connections being served now.</summary>
    public int OpenConnections => Volatile.Read(ref _connections);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!_settings.IsEnabled)
        {
            return;
        }

        // The CA exists from the moment KMIP is first enabled; its private key stays sealed by the root key.
        await authority.EnsureCreatedAsync(cancellationToken);
        await RenewCertificateAsync(cancellationToken);
        _slots = new SemaphoreSlim(_settings.ConnectionLimit, _settings.ConnectionLimit);
        _listener = new TcpListener(_settings.Address, _settings.PortNumber);
        try
        {
            _listener.Start();
        }
        catch (SocketException error)
        {
            throw new InvalidOperationException(
                $"KMIP cannot listen on {_settings.Address}:{_settings.PortNumber} ({error.SocketErrorCode}); set {KmipSettings.Section}:Port or :Host.", error);
        }

        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        logger.LogInformation("KMIP listening on {Address}:{Port}", _settings.Address, Port);
        await base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _listener?.Stop();
        await base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connections = new List<Task>();
        while (!stoppingToken.IsCancellationRequested)
        {
            TcpClient tcp;
            try
            {
                tcp = await _listener!.AcceptTcpClientAsync(stoppingToken);
            }
            catch (Exception error) when (error is OperationCanceledException or ObjectDisposedException || stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (SocketException error)
            {
                logger.LogWarning("KMIP accept failed: {Error}", error.SocketErrorCode);
                continue;
            }

            connections.RemoveAll(t => t.IsCompleted);
            connections.Add(Task.Run(() => ServeAsync(tcp, stoppingToken), CancellationToken.None));
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient tcp, CancellationToken stopping)
    {
        using TcpClient owned = tcp;
        if (!_slots!.Wait(0, CancellationToken.None))
        {
            logger.LogWarning("KMIP connection refused: {Limit} connections are open ({Setting})", _settings.ConnectionLimit, $"{KmipSettings.Section}:MaxConnections");
            return;
        }

        Interlocked.Increment(ref _connections);
        IPAddress? remote = (tcp.Client.RemoteEndPoint as IPEndPoint)?.Address;
        try
        {
            tcp.NoDelay = true;
            await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
            Guid? clientId = await HandshakeAsync(tls, remote, stopping);
            if (clientId is null)
            {
                return;
            }

            var origin = RequestOrigin.From(remote, "KMIP");
            var limits = new TtlvLimits(MaxMessageBytes: _settings.MaxMessageLength);
            while (!stopping.IsCancellationRequested)
            {
                byte[]? message;
                using (var idle = CancellationTokenSource.CreateLinkedTokenSource(stopping))
                {
                    idle.CancelAfter(_settings.IdleTimeout);
                    try
                    {
                        message = await TtlvCodec.ReadMessageAsync(tls, limits, idle.Token);
                    }
                    catch (TtlvFormatException error)
                    {
                        // The framing is lost (a bad header or a declared length over the limit, which is never
                        // read): answer Invalid Message with the reason, then close.
                        await tls.WriteAsync(server.InvalidMessage((1, 0), error.Message), stopping);
                        return;
                    }
                }

                if (message is null)
                {
                    return;   // the client closed the connection
                }

                KmipServer.Reply reply;
                try
                {
                    reply = await server.HandleAsync(clientId.Value, origin, message, limits, stopping);
                    await tls.WriteAsync(reply.Message, stopping);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(message);   // a Register carries key material, an Encrypt plaintext
                }

                CryptographicOperations.ZeroMemory(reply.Message);   // a Get answers with key material, a Decrypt with plaintext
                if (reply.Close)
                {
                    return;
                }
            }
        }
        catch (Exception error) when (error is IOException or OperationCanceledException or EndOfStreamException or ObjectDisposedException or SocketException)
        {
            // The client went away, timed out, or the server is stopping: nothing to answer.
        }
        catch (Exception error)
        {
            logger.LogError("KMIP connection from {Remote} failed: {ErrorType}", remote, error.GetType().Name);
        }
        finally
        {
            Interlocked.Decrement(ref _connections);
            _slots.Release();
        }
    }

    /// <summary>The mutual TLS handshake; the client's ID, or null when it was refused.</summary>
    private async Task<Guid?> HandshakeAsync(SslStream tls, IPAddress? remote, CancellationToken stopping)
    {
        if (clock.GetUtcNow() >= _renewAt)
        {
            await RenewCertificateAsync(stopping);
        }

        Guid? clientId = null;
        string refusal = "the handshake did not complete";
        var sslOptions = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = _certificate,
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => (clientId = Admit(certificate, out refusal)) is not null,
        };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        timeout.CancelAfter(HandshakeTimeout);
        try
        {
            await tls.AuthenticateAsServerAsync(sslOptions, timeout.Token);
            return clientId;
        }
        catch (Exception error) when (error is AuthenticationException or IOException or OperationCanceledException)
        {
            logger.LogInformation("KMIP handshake from {Remote} refused: {Reason}", remote, clientId is null ? refusal : error.GetType().Name);
            return null;
        }
    }

    /// <summary>
    /// The client a certificate belongs to: issued by this instance's KMIP CA, within its validity, for clientAuth,
    /// and on record for a client that is not revoked. Null refuses the handshake.
    /// </summary>
    /// <param name="refusal">Why the certificate was refused, for the log (never the certificate itself).</param>
    private Guid? Admit(X509Certificate? presented, out string refusal)
    {
        if (presented is null)
        {
            refusal = "no client certificate";
            return null;
        }

        using X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        if (!authority.IsValidClientCertificate(certificate, clock.GetUtcNow()))
        {
            refusal = "the client certificate is not one of this instance's KMIP CA, is outside its validity, or is not for client authentication";
            return null;
        }

        byte[] thumbprint = SHA256.HashData(certificate.RawData);
        using KmsDbContext db = dbFactory.CreateDbContext();
        Guid? clientId = db.KmipCertificates.AsNoTracking()
            .Where(c => c.Thumbprint == thumbprint)
            .Join(db.KmipClients.AsNoTracking().Where(k => k.RevokedAt == null), c => c.ClientId, k => k.Id, (c, k) => (Guid?)k.Id)
            .FirstOrDefault();
        refusal = clientId is null ? "the certificate's KMIP client was revoked or deleted" : "";
        return clientId;
    }

    private async Task RenewCertificateAsync(CancellationToken ct)
    {
        await _certificateLock.WaitAsync(ct);
        try
        {
            if (_certificate is not null && clock.GetUtcNow() < _renewAt)
            {
                return;
            }

            X509Certificate2 certificate = await authority.IssueServerCertificateAsync(_settings.ServerNamesOrDefault, ServerCertificateLifetime, ct);
            X509Certificate2 ca = await authority.GetCertificateAsync(ct);
            _certificate = SslStreamCertificateContext.Create(certificate, [ca], offline: true);
            _renewAt = clock.GetUtcNow() + ServerCertificateLifetime * 2 / 3;
        }
        finally
        {
            _certificateLock.Release();
        }
    }
}
