using System.Globalization;

namespace UsageSeed;

/// <summary>Which database and project to fill, with how many records over how many days.</summary>
internal sealed record SeedOptions(
    string DatabasePath, Guid ProjectId, int Records, int Days, double FailureRate, int BatchSize, int Seed)
{
    public const string Usage = """
        UsageSeed: writes back-dated usage records (cmek-encrypt, cmek-decrypt, cmek-sign, ...) into one project's
        audit chain in an SQLite database whose server is stopped, for bench/usage.sh.

          --db FILE            the server's SQLite file (required; the server must not be running)
          --project ID         the project whose keys are used and whose chain receives the records (required)
          --records N          how many records (default 1000000)
          --days N             spread over the N days up to now (default 30)
          --failure-rate R     the share of failed operations (default 0.03)
          --batch N            records per transaction (default 10000)
          --seed N             the random generator's seed: the same seed gives the same mix (default 17)

        The actors are the project's machine identities, the keys all the project's keys (there must be at
        least one of each). Records go through KmsDbContext.SaveChangesAsync, oldest first, so they are linked
        onto the project's chain and the database's triggers count them as in production. Prints one line
        per 100,000 records and then `SEEDED <records> <seconds>`. Exit code 1 when the database or project
        is missing, 2 for bad arguments.
        """;

    public static SeedOptions Parse(string[] args)
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

        string[] known = ["db", "project", "records", "days", "failure-rate", "batch", "seed"];
        if (values.Keys.FirstOrDefault(k => !known.Contains(k)) is { } unknown)
        {
            throw new ArgumentException($"Unknown option --{unknown}");
        }

        string db = values.GetValueOrDefault("db") ?? throw new ArgumentException("--db is required");
        string project = values.GetValueOrDefault("project") ?? throw new ArgumentException("--project is required");
        if (!Guid.TryParse(project, out Guid projectId))
        {
            throw new ArgumentException($"--project must be a project ID, not '{project}'");
        }

        double failureRate = values.TryGetValue("failure-rate", out string? rate)
            && double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed
            : rate is null ? 0.03 : throw new ArgumentException($"--failure-rate must be a number, not '{rate}'");
        if (failureRate is < 0 or > 1)
        {
            throw new ArgumentException("--failure-rate must be between 0 and 1");
        }

        return new SeedOptions(
            db, projectId,
            Number(values, "records", 1_000_000, 1, 100_000_000),
            Number(values, "days", 30, 1, 3650),
            failureRate,
            Number(values, "batch", 10_000, 1, 1_000_000),
            Number(values, "seed", 17, 0, int.MaxValue));
    }

    private static int Number(Dictionary<string, string> values, string name, int fallback, int min, int max)
    {
        if (!values.TryGetValue(name, out string? text))
        {
            return fallback;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            throw new ArgumentException($"--{name} must be a whole number from {min} to {max}, not '{text}'");
        }

        return value;
    }
}
