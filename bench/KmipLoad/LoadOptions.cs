using System.Globalization;

namespace KmipLoad;

/// <summary>What a run does: where the KMIP server is, the client's credentials, the key, and the load's shape.</summary>
internal sealed record LoadOptions(
    string Host, int Port, string CertificatePath, string KeyPath, string CaPath, string Uid, int Connections,
    TimeSpan Duration, TimeSpan Warmup, LoadOperation Operation, int DataBytes, int? ServerPid, string Name)
{
    public const string Usage = """
        KmipLoad: KMIP 1.4 Encrypt (or Decrypt) requests back to back over mutual TLS, then requests/s, p50, p99 and errors.

          --host H            server address (default 127.0.0.1; also the name the server certificate must carry)
          --port N            KMIP port (required)
          --cert FILE         the client certificate, PEM (required)
          --key FILE          its private key, PEM (required)
          --ca FILE           the only CA trusted for the server certificate, PEM (required)
          --uid ID            the Unique Identifier of an AES key the client may use (required)
          --connections N     TLS connections, each with one request in flight (default 1)
          --seconds N         measured period (default 10)
          --warmup N          unmeasured period before it, on the same connections (default 3)
          --op encrypt|decrypt  what each request does (default encrypt; decrypt takes back one ciphertext made at start)
          --size N            bytes of Data per request (default 1024)
          --server-pid PID    the server's process, to report its processor time per request (optional)
          --name NAME         the label of the result line (default kmip-<op>)

        Prints one line like bench/hotpath.sh's and then `RESULT <req/s> <p50 ms> <p99 ms> <errors> <requests>
        <client cpu ms/req> <server cpu ms/req or n/a>`. Exit code 1 when the set-up (connections, the first
        request) fails, 2 for bad arguments; failed requests during the load are counted as errors.
        """;

    public static LoadOptions Parse(string[] args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Length; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
            {
                throw new ArgumentException($"Expected --option value pairs, got '{args[i]}'");
            }

            values[args[i][2..]] = args[i + 1];
        }

        string[] known = ["host", "port", "cert", "key", "ca", "uid", "connections", "seconds", "warmup", "op", "size", "server-pid", "name"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Unknown option --{unknown}");
        }

        LoadOperation operation = Text(values, "op", "encrypt") switch
        {
            "encrypt" => LoadOperation.Encrypt,
            "decrypt" => LoadOperation.Decrypt,
            string other => throw new ArgumentException($"--op must be encrypt or decrypt, not '{other}'"),
        };
        return new LoadOptions(
            Text(values, "host", "127.0.0.1"),
            Number(values, "port", null, 1, 65535),
            ExistingFile(values, "cert"),
            ExistingFile(values, "key"),
            ExistingFile(values, "ca"),
            Text(values, "uid", null),
            Number(values, "connections", 1, 1, 10_000),
            TimeSpan.FromSeconds(Number(values, "seconds", 10, 1, 86_400)),
            TimeSpan.FromSeconds(Number(values, "warmup", 3, 0, 86_400)),
            operation,
            Number(values, "size", 1024, 1, 512 * 1024),
            values.ContainsKey("server-pid") ? Number(values, "server-pid", null, 1, int.MaxValue) : null,
            Text(values, "name", $"kmip-{operation.ToString().ToLowerInvariant()}"));
    }

    private static string Text(Dictionary<string, string> values, string name, string? fallback) =>
        values.TryGetValue(name, out string? value) && value.Length > 0 ? value
        : fallback ?? throw new ArgumentException($"--{name} is required");

    private static int Number(Dictionary<string, string> values, string name, int? fallback, int min, int max)
    {
        if (!values.TryGetValue(name, out string? text))
        {
            return fallback ?? throw new ArgumentException($"--{name} is required");
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new ArgumentException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
    }

    private static string ExistingFile(Dictionary<string, string> values, string name)
    {
        string path = Text(values, name, null);
        return File.Exists(path) ? path : throw new ArgumentException($"--{name}: no file at '{path}'");
    }
}

/// <summary>The KMIP operation each request performs.</summary>
internal enum LoadOperation
{
    Encrypt,
    Decrypt,
}
