using System.Globalization;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using InfisicalKms.Core.Kmip.Ttlv;
using KmipLoad;

// KMIP encrypt (or decrypt) load over mutual TLS; see LoadOptions.Usage. bench/kmip.sh runs it beside wrk.
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(LoadOptions.Usage);
    return 0;
}

LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(LoadOptions.Usage);
    return 2;
}

ClientCredentials credentials;
try
{
    credentials = new ClientCredentials(options.CertificatePath, options.KeyPath, options.CaPath);
}
catch (CryptographicException error)
{
    Console.Error.WriteLine($"Cannot read the client certificate, its key or the CA (PEM files expected): {error.Message}");
    return 1;
}

using ClientCredentials owned = credentials;
byte[] plaintext = RandomNumberGenerator.GetBytes(options.DataBytes);
var connections = new List<KmipConnection>();
byte[] request;
Action<TtlvItem> check;
try
{
    // Every connection is open, and one request of the kind measured has succeeded, before the clock starts.
    connections.AddRange(await Task.WhenAll(Enumerable.Range(0, options.Connections)
        .Select(_ => KmipConnection.OpenAsync(options, credentials, CancellationToken.None))));
    byte[] encrypt = KmipMessages.Encrypt(options.Uid, plaintext);
    SealedData sealedData = KmipMessages.CheckEncrypt(await connections[0].SendAsync(encrypt, CancellationToken.None), plaintext.Length);
    (request, check) = options.Operation switch
    {
        LoadOperation.Encrypt => (encrypt, response => KmipMessages.CheckEncrypt(response, plaintext.Length)),
        LoadOperation.Decrypt => (KmipMessages.Decrypt(options.Uid, sealedData), (Action<TtlvItem>)(response => KmipMessages.CheckDecrypt(response, plaintext))),
        _ => throw new ArgumentOutOfRangeException(nameof(args), options.Operation, "Unknown operation"),
    };
    check(await connections[0].SendAsync(request, CancellationToken.None));
}
catch (Exception error) when (error is KmipLoadFailure or TtlvFormatException or IOException or SocketException or AuthenticationException)
{
    Console.Error.WriteLine($"KMIP set-up against {options.Host}:{options.Port} failed: {error.GetType().Name}: {error.Message}");
    foreach (KmipConnection connection in connections)
    {
        await connection.DisposeAsync();
    }

    return 1;
}

LoadResult result = await new LoadRun(options, credentials, request, check).RunAsync(connections);
string serverCpu = result.ServerCpu is { } cpu ? Invariant($"{result.PerRequestMs(cpu):F3}") : "n/a";
Console.WriteLine(Invariant(
    $"  {options.Name,-22} {options.Connections,3} conns  {result.RequestsPerSecond,10:F1} req/s  p50 {result.P50Ms,8:F2} ms  p99 {result.P99Ms,8:F2} ms  errors {result.Errors}  cpu ms/req: client {result.PerRequestMs(result.ClientCpu):F3}, server {serverCpu}"));
if (result.FirstFailure is not null)
{
    Console.Error.WriteLine($"  first failure: {result.FirstFailure}");
}

Console.WriteLine(Invariant(
    $"RESULT {result.RequestsPerSecond:F1} {result.P50Ms:F2} {result.P99Ms:F2} {result.Errors} {result.Succeeded} {result.PerRequestMs(result.ClientCpu):F3} {serverCpu}"));
return 0;

static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
