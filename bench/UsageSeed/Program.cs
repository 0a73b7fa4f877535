using System.Diagnostics;
using System.Globalization;
using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;
using InfisicalKms.Core.Projects;
using InfisicalKms.Core.Storage;
using Microsoft.EntityFrameworkCore;
using UsageSeed;

// Back-dated usage records for bench/usage.sh; see SeedOptions.Usage.
if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(SeedOptions.Usage);
    return 0;
}

SeedOptions options;
try
{
    options = SeedOptions.Parse(args);
}
catch (ArgumentException error)
{
    Console.Error.WriteLine(error.Message);
    Console.Error.WriteLine();
    Console.Error.WriteLine(SeedOptions.Usage);
    return 2;
}

if (!File.Exists(options.DatabasePath))
{
    Console.Error.WriteLine($"No database at {options.DatabasePath}: start the server once to create it, then stop it.");
    return 1;
}

var builder = new DbContextOptionsBuilder<KmsDbContext>();
builder.UseKmsDatabase(StorageLocation.Sqlite($"Data Source={options.DatabasePath}"));
DbContextOptions<KmsDbContext> database = builder.Options;

Project? project;
List<KmsKey> keys;
List<SeedActor> actors;
await using (var db = new KmsDbContext(database))
{
    project = await db.Projects.AsNoTracking().SingleOrDefaultAsync(p => p.Id == options.ProjectId);
    keys = await db.Keys.AsNoTracking().Where(k => k.ProjectId == options.ProjectId).ToListAsync();
    var members = await db.IdentityMemberships.AsNoTracking().Where(m => m.ProjectId == options.ProjectId)
        .Join(db.Identities.AsNoTracking(), m => m.IdentityId, i => i.Id, (_, i) => new { i.Id, i.Name })
        .ToListAsync();
    actors = [.. members.OrderBy(m => m.Name, StringComparer.Ordinal)
        .Select((m, i) => new SeedActor(m.Id, m.Name, string.Create(CultureInfo.InvariantCulture, $"10.20.{i / 250}.{i % 250 + 1}")))];
}

if (project is null || keys.Count == 0 || actors.Count == 0)
{
    Console.Error.WriteLine(project is null
        ? $"No project {options.ProjectId} in {options.DatabasePath}."
        : $"Project {options.ProjectId} needs at least one key and one machine identity (it has {keys.Count} and {actors.Count}).");
    return 1;
}

DateTime now = DateTime.UtcNow;
var mix = new RecordMix(project.OrganizationId, project.Id, keys, actors, options.FailureRate, options.Seed);
DateTime[] times = mix.Times(options.Records, now.AddDays(-options.Days), now);
Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"seeding {options.Records:N0} records over {options.Days} days into project {project.Id}: {keys.Count} keys, {actors.Count} identities"));

var clock = Stopwatch.StartNew();
for (int start = 0; start < times.Length; start += options.BatchSize)
{
    // A context per batch: the tracker would otherwise hold every record written so far.
    await using var db = new KmsDbContext(database);
    db.ChangeTracker.AutoDetectChangesEnabled = false;
    int end = Math.Min(start + options.BatchSize, times.Length);
    var batch = new List<AuditEvent>(end - start);
    for (int i = start; i < end; i++)
    {
        batch.Add(mix.Next(times[i]));
    }

    db.AuditEvents.AddRange(batch);
    await db.SaveChangesAsync();
    if (end / 100_000 > start / 100_000 || end == times.Length)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {end,10:N0} records, {clock.Elapsed.TotalSeconds,6:F1} s, {end / clock.Elapsed.TotalSeconds,8:N0} records/s"));
    }
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"SEEDED {times.Length} {clock.Elapsed.TotalSeconds:F1}"));
return 0;
