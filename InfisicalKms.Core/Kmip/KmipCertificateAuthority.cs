using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using InfisicalKms.Core.Envelope;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace InfisicalKms.Core.Kmip;

/// <summary>
/// The instance's own KMIP certificate authority: it issues the KMIP server's certificate and the client certificates
/// (<see cref="KmipCertificateProfiles"/>), and decides whether a client certificate is one of its own.
/// </summary>
/// <remarks>
/// The CA's PKCS#8 private key is stored only sealed by the root key (<see cref="EnvelopeEncryptor.Seal"/>, purpose
/// <see cref="SealPurpose"/>). It is opened for each certificate it signs and zeroed straight after: issuing is rare,
/// so no process keeps it. The public certificate is cached once read, since the row never changes. On load the sealed
/// key must match the stored certificate, or nothing is issued or accepted (a certificate swapped in the database
/// would otherwise be trusted).
/// </remarks>
public sealed class KmipCertificateAuthority(
    IDbContextFactory<KmsDbContext> dbFactory, EnvelopeEncryptor envelope, TimeProvider clock, ILogger<KmipCertificateAuthority> logger)
{
    public const string SealPurpose = "kmip-ca";

    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile Authority? _authority;

    /// <summary>
    /// Creates the CA if the KmipAuthority table has no row, else loads it. Concurrent callers and instances are
    /// safe: one row wins the insert and the others read it. Called at start-up by the listener when KMIP is enabled.
    /// </summary>
    /// <exception cref="InvalidOperationException">The stored CA does not open under the root key or does not match its key.</exception>
    public async Task EnsureCreatedAsync(CancellationToken ct) => await LoadAsync(create: true, ct);

    /// <summary>The CA certificate (public part only), created on first use; a new object the caller owns.</summary>
    public async Task<X509Certificate2> GetCertificateAsync(CancellationToken ct) =>
        X509CertificateLoader.LoadCertificate((await LoadAsync(create: true, ct))!.Certificate.RawData);

    public async Task<string> GetCertificatePemAsync(CancellationToken ct) => (await LoadAsync(create: true, ct))!.Pem;

    /// <summary>The CA certificate's PEM, or null while KMIP was never enabled (no CA yet); never creates it.</summary>
    public async Task<string?> FindCertificatePemAsync(CancellationToken ct) => (await LoadAsync(create: false, ct))?.Pem;

    /// <summary>
    /// A fresh server certificate with its RSA-2048 private key, signed by the CA: SANs are <paramref name="names"/>
    /// (IP addresses told apart from DNS names), EKU serverAuth, valid from now for <paramref name="validity"/>
    /// (at most until the CA expires).
    /// </summary>
    public async Task<X509Certificate2> IssueServerCertificateAsync(IReadOnlyList<string> names, TimeSpan validity, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfZero(names.Count, nameof(names));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(validity, TimeSpan.Zero);
        Authority authority = (await LoadAsync(create: true, ct))!;
        using RSA key = RSA.Create(2048);
        (DateTimeOffset notBefore, DateTimeOffset notAfter) = Window(authority, clock.GetUtcNow(), validity);
        using X509Certificate2 certificate = Sign(authority, KmipCertificateProfiles.ServerRequest(names, new PublicKey(key)), notBefore, notAfter);
        return certificate.CopyWithPrivateKey(key);
    }

    /// <summary>
    /// True when <paramref name="certificate"/> chains to this CA only (custom root trust: no system roots, no
    /// downloads, no online revocation), is within its validity period at <paramref name="now"/>, is not a CA and
    /// names clientAuth in its extended key usage. False, never an exception, for anything else, and while the CA
    /// is not loaded yet (<see cref="EnsureCreatedAsync"/>).
    /// </summary>
    /// <remarks>Revocation is the server's part: the certificate's thumbprint must belong to a client that is not revoked.</remarks>
    public bool IsValidClientCertificate(X509Certificate2 certificate, DateTimeOffset now)
    {
        if (_authority is not { } authority)
        {
            return false;
        }

        try
        {
            DateTime at = now.UtcDateTime;
            if (!KmipCertificateProfiles.IsClientLeaf(certificate)
                || at < certificate.NotBefore.ToUniversalTime() || at > certificate.NotAfter.ToUniversalTime())
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(authority.Certificate);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            chain.ChainPolicy.DisableCertificateDownloads = true;
            chain.ChainPolicy.VerificationTime = at;
            chain.ChainPolicy.VerificationTimeIgnored = false;
            chain.ChainPolicy.ApplicationPolicy.Add(KmipCertificateProfiles.ClientAuth);
            return chain.Build(certificate)
                && chain.ChainElements.Count == 2
                && chain.ChainElements[1].Certificate.RawDataMemory.Span.SequenceEqual(authority.Certificate.RawDataMemory.Span);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>
    /// A client certificate for <paramref name="client"/> over a fresh key pair of <paramref name="algorithm"/> (its
    /// private key is in the answer) or over <paramref name="csrPublicKey"/> (no private key), with the row that
    /// records it. Nothing is stored here: the caller saves the row with its audit record.
    /// </summary>
    internal async Task<(KmipIssuedCertificate Issued, KmipCertificate Record)> IssueClientAsync(
        KmipClient client, KmipCertificateKeyAlgorithm algorithm, PublicKey? csrPublicKey, DateTimeOffset notBefore, DateTimeOffset notAfter, CancellationToken ct)
    {
        Authority authority = (await LoadAsync(create: true, ct))!;
        (notBefore, notAfter) = (KmipCertificateProfiles.Seconds(notBefore), KmipCertificateProfiles.Seconds(Min(notAfter, authority.Certificate.NotAfter)));
        using AsymmetricAlgorithm? key = csrPublicKey is null ? await Task.Run(() => KmipCertificateProfiles.NewKey(algorithm), ct) : null;
        PublicKey publicKey = csrPublicKey ?? KmipCertificateProfiles.PublicKeyOf(key!);
        using X509Certificate2 certificate = Sign(authority, KmipCertificateProfiles.ClientRequest(client, publicKey), notBefore, notAfter);
        var issued = new KmipIssuedCertificate(
            certificate.SerialNumber, Pem(certificate), key is null ? null : PrivateKeyPem(key), authority.Pem,
            notBefore.UtcDateTime, notAfter.UtcDateTime);
        var record = new KmipCertificate
        {
            Id = Guid.CreateVersion7(),
            ClientId = client.Id,
            SerialNumber = certificate.SerialNumber,
            Thumbprint = certificate.GetCertHash(HashAlgorithmName.SHA256),
            NotBefore = issued.NotBefore,
            NotAfter = issued.NotAfter,
            CreatedAt = clock.GetUtcNow().UtcDateTime,
        };
        return (issued, record);
    }

    /// <summary>
    /// For tests: a client certificate with a validity window of the caller's choosing (an expired one, say), stored
    /// like any other so that only its dates can make it fail. Not audited.
    /// </summary>
    internal async Task<KmipIssuedCertificate> IssueClientCertificateAsync(
        KmipClient client, KmipCertificateKeyAlgorithm algorithm, DateTimeOffset notBefore, DateTimeOffset notAfter, CancellationToken ct)
    {
        (KmipIssuedCertificate issued, KmipCertificate record) = await IssueClientAsync(client, algorithm, null, notBefore, notAfter, ct);
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        db.KmipCertificates.Add(record);
        await db.SaveChangesAsync(ct);
        return issued;
    }

    private static string Pem(X509Certificate2 certificate) => certificate.ExportCertificatePem() + "\n";

    private static string PrivateKeyPem(AsymmetricAlgorithm key)
    {
        byte[] pkcs8 = key.ExportPkcs8PrivateKey();
        try
        {
            return PemEncoding.WriteString("PRIVATE KEY", pkcs8) + "\n";
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private static DateTimeOffset Min(DateTimeOffset time, DateTime certificateTime)
    {
        var limit = new DateTimeOffset(certificateTime.ToUniversalTime(), TimeSpan.Zero);
        return time < limit ? time : limit;
    }

    /// <summary>From five minutes ago (clocks differ) for <paramref name="validity"/>, within the CA's own validity.</summary>
    private static (DateTimeOffset, DateTimeOffset) Window(Authority authority, DateTimeOffset now, TimeSpan validity) =>
        (now.AddMinutes(-5), Min(now + validity, authority.Certificate.NotAfter));

    private X509Certificate2 Sign(Authority authority, CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        using RSA key = OpenKey(authority.SealedKey);
        return KmipCertificateProfiles.SignLeaf(request, authority.Certificate, key, notBefore, notAfter);
    }

    /// <exception cref="InvalidOperationException">The sealed key does not open under this root key.</exception>
    private RSA OpenKey(byte[] sealedKey)
    {
        byte[] pkcs8 = envelope.Open(SealPurpose, sealedKey);
        try
        {
            var key = RSA.Create();
            key.ImportPkcs8PrivateKey(pkcs8, out _);
            return key;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    private async Task<Authority?> LoadAsync(bool create, CancellationToken ct)
    {
        if (_authority is { } loaded)
        {
            return loaded;
        }

        await _gate.WaitAsync(ct);
        try
        {
            if (_authority is { } raced)
            {
                return raced;
            }

            KmipAuthorityRecord? row = await ReadAsync(ct);
            if (row is null && !create)
            {
                return null;
            }

            return _authority = Check(row ?? await CreateAsync(ct));
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<KmipAuthorityRecord?> ReadAsync(CancellationToken ct)
    {
        await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
        return await db.KmipAuthority.AsNoTracking().FirstOrDefaultAsync(a => a.Id == KmipAuthorityRecord.SingletonId, ct);
    }

    private async Task<KmipAuthorityRecord> CreateAsync(CancellationToken ct)
    {
        DateTime now = clock.GetUtcNow().UtcDateTime;
        KmipAuthorityRecord row;
        using (RSA key = await Task.Run(() => RSA.Create(3072), ct))
        {
            using X509Certificate2 certificate = KmipCertificateProfiles.CreateAuthority(key, now);
            byte[] pkcs8 = key.ExportPkcs8PrivateKey();
            try
            {
                row = new KmipAuthorityRecord { CertificateDer = certificate.RawData, WrappedPrivateKey = envelope.Seal(SealPurpose, pkcs8), CreatedAt = now };
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pkcs8);
            }
        }

        try
        {
            await using KmsDbContext db = await dbFactory.CreateDbContextAsync(ct);
            db.KmipAuthority.Add(row);
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Created the KMIP certificate authority ({Subject}).", "CN=" + KmipCertificateProfiles.CaCommonName);
            return row;
        }
        catch (DbUpdateException)
        {
            // Another instance inserted the row first: theirs is the CA.
            return await ReadAsync(ct) ?? throw new InvalidOperationException("The KMIP certificate authority could not be stored.");
        }
    }

    /// <exception cref="InvalidOperationException">The sealed key does not open, or is not the certificate's key.</exception>
    private Authority Check(KmipAuthorityRecord row)
    {
        X509Certificate2 certificate = X509CertificateLoader.LoadCertificate(row.CertificateDer);
        using (RSA key = OpenKey(row.WrappedPrivateKey))
        {
            if (!key.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(certificate.PublicKey.ExportSubjectPublicKeyInfo()))
            {
                certificate.Dispose();
                throw new InvalidOperationException("The stored KMIP CA certificate does not match its sealed private key.");
            }
        }

        return new Authority(certificate, row.WrappedPrivateKey, Pem(certificate));
    }

    /// <summary>The stored CA as this process uses it: the parsed certificate, its PEM and the still-sealed key.</summary>
    private sealed record Authority(X509Certificate2 Certificate, byte[] SealedKey, string Pem);
}
