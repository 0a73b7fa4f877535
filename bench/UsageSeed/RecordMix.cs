using InfisicalKms.Core.Audit;
using InfisicalKms.Core.Keys;

namespace UsageSeed;

/// <summary>A machine identity of the project, as its records name it.</summary>
internal sealed record SeedActor(Guid Id, string Name, string IpAddress);

/// <summary>
/// The shape of a project's traffic: when, with which key, by whom, which operation, and whether it failed.
/// Deterministic for a seed, so two runs seed the same mix.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Times: more by day than by night (UTC), fewer at weekends, so the hourly and daily buckets differ as real ones do.</item>
/// <item>Keys: popularity falls as 1/rank, the encrypt-decrypt keys first, so most records are encrypts and decrypts
/// and a few keys carry most of the load.</item>
/// <item>Actors: each key has one identity that uses it most (85 %), the others use it now and then.</item>
/// <item>Failures: a decrypt fails mostly on a bad ciphertext (BadRequest), other operations as often on a refused
/// permission (PermissionDenied), which comes from an identity other than the key's own.</item>
/// </list>
/// The metadata are those the server writes for the same operation (no payload, no key material).
/// </remarks>
internal sealed class RecordMix
{
    private const string UserAgent = "usage-seed";

    private readonly Random _random;
    private readonly Guid _organizationId;
    private readonly Guid _projectId;
    private readonly KmsKey[] _keys;
    private readonly double[] _keyWeights;
    private readonly SeedActor[] _actors;
    private readonly double _failureRate;

    public RecordMix(Guid organizationId, Guid projectId, IEnumerable<KmsKey> keys, IEnumerable<SeedActor> actors, double failureRate, int seed)
    {
        _random = new Random(seed);
        _organizationId = organizationId;
        _projectId = projectId;
        _keys = [.. keys.OrderBy(k => k.Usage != KeyUsage.EncryptDecrypt).ThenBy(k => k.Name, StringComparer.Ordinal)];
        _actors = [.. actors];
        _failureRate = failureRate;
        double total = 0;
        _keyWeights = [.. _keys.Select((_, rank) => total += 1.0 / (rank + 1))];
    }

    /// <summary><paramref name="count"/> times in [<paramref name="from"/>, <paramref name="to"/>), oldest first, in whole milliseconds.</summary>
    public DateTime[] Times(int count, DateTime from, DateTime to)
    {
        long span = (to - from).Ticks;
        var times = new DateTime[count];
        for (int i = 0; i < count;)
        {
            DateTime t = from.AddTicks((long)(_random.NextDouble() * span));
            if (_random.NextDouble() < Activity(t))
            {
                times[i++] = AuditHash.TruncateToMilliseconds(t);
            }
        }

        Array.Sort(times);
        return times;
    }

    /// <summary>The record of one operation at <paramref name="createdAt"/>; <c>Id</c> is a version 7 UUID of that time.</summary>
    public AuditEvent Next(DateTime createdAt)
    {
        int keyIndex = Array.BinarySearch(_keyWeights, _random.NextDouble() * _keyWeights[^1]);
        keyIndex = keyIndex < 0 ? ~keyIndex : keyIndex;
        KmsKey key = _keys[keyIndex];
        SeedActor owner = _actors[keyIndex % _actors.Length];
        string eventType = Operation(key.Usage);
        bool failed = _random.NextDouble() < _failureRate;
        bool refused = failed && _actors.Length > 1 && _random.NextDouble() < (eventType == AuditEventTypes.Decrypt ? 0.3 : 0.5);
        SeedActor actor = refused ? Other(owner) : _random.NextDouble() < 0.85 ? owner : _actors[_random.Next(_actors.Length)];

        var metadata = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (eventType is AuditEventTypes.Sign or AuditEventTypes.Verify)
        {
            metadata["signingAlgorithm"] = key.Algorithm == KeyAlgorithm.Rsa4096 ? "RSASSA_PSS_SHA_256" : "ECDSA_SHA_256";
        }
        else if (eventType == AuditEventTypes.GenerateDataKey)
        {
            metadata["keySize"] = "32";
        }

        if (failed)
        {
            (metadata["statusCode"], metadata["error"]) = refused ? ("403", "PermissionDenied") : ("400", "BadRequest");
        }
        else if (eventType == AuditEventTypes.Rewrap)
        {
            (metadata["fromVersion"], metadata["toVersion"]) = ("1", "1");
        }
        else if (eventType is AuditEventTypes.Encrypt or AuditEventTypes.Decrypt or AuditEventTypes.GenerateDataKey)
        {
            metadata["keyVersion"] = "1";
        }

        return new AuditEvent
        {
            Id = Guid.CreateVersion7(new DateTimeOffset(createdAt)),
            OrganizationId = _organizationId,
            ChainId = _projectId,
            EventType = eventType,
            ActorType = "identity",
            ActorId = actor.Id,
            ActorName = actor.Name,
            ProjectId = _projectId,
            KeyId = key.Id,
            IpAddress = actor.IpAddress,
            UserAgent = UserAgent,
            Outcome = failed ? "failure" : "success",
            Metadata = metadata,
            CreatedAt = createdAt,
        };
    }

    /// <summary>The share of records kept at <paramref name="t"/>: a day peak at 14:00 UTC, a night floor, weekends at 60 %.</summary>
    private static double Activity(DateTime t)
    {
        double hour = t.TimeOfDay.TotalHours;
        double day = 0.25 + 0.75 * Math.Exp(-Math.Pow(hour - 14, 2) / (2 * 4.0 * 4.0));
        return t.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday ? day * 0.6 : day;
    }

    private string Operation(KeyUsage usage)
    {
        double p = _random.NextDouble();
        return usage switch
        {
            KeyUsage.EncryptDecrypt => p < 0.45 ? AuditEventTypes.Encrypt
                : p < 0.90 ? AuditEventTypes.Decrypt
                : p < 0.96 ? AuditEventTypes.GenerateDataKey
                : AuditEventTypes.Rewrap,
            KeyUsage.SignVerify => p < 0.4 ? AuditEventTypes.Sign : AuditEventTypes.Verify,
            _ => p < 0.5 ? AuditEventTypes.GenerateMac : AuditEventTypes.VerifyMac,
        };
    }

    private SeedActor Other(SeedActor owner)
    {
        SeedActor other;
        do
        {
            other = _actors[_random.Next(_actors.Length)];
        }
        while (other == owner);
        return other;
    }
}
