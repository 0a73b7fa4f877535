using InfisicalKms.Core.Audit;

namespace InfisicalKms.Tests.Core.Audit;

public sealed class AuditHashTests
{
    /// <summary>The event of spec §10.7.1 with prevHash of 64 zeros.</summary>
    private static AuditEvent SpecExample() => new()
    {
        Id = Guid.Parse("9d2f8c1e-4b7a-4f3e-8c6d-1a2b3c4d5e6f"),
        EventType = "create-cmek",
        ActorType = "identity",
        ActorId = Guid.Parse("5e7c1d2a-9b3f-4a6e-8d0c-7f1e2a3b4c5d"),
        ActorName = "billing-service",
        ProjectId = Guid.Parse("0b9e3f4c-8a1d-4c6e-b2f7-5d3a9e1c7b24"),
        KeyId = Guid.Parse("3f6d2a8e-5b1c-4e9a-8d7f-2c4b6a8e0f13"),
        IpAddress = "10.0.0.7",
        UserAgent = "node",
        Outcome = "success",
        Metadata = new Dictionary<string, string> { ["keyName"] = "billing-data", ["algorithm"] = "aes-256-gcm" },
        CreatedAt = new DateTime(2025, 3, 14, 9, 26, 53, 589, DateTimeKind.Utc),
        PrevHash = AuditHash.Genesis,
    };

    [Fact]
    public void Spec_test_vector()
    {
        Assert.Equal("c3e1192690e3ce34f47bfe2b827d23145d8501c11caab0f5e5d53568ad7ca569", AuditHash.Compute(SpecExample()));
    }

    [Fact]
    public void Every_hashed_field_changes_the_hash()
    {
        string original = AuditHash.Compute(SpecExample());
        var variants = new Action<AuditEvent>[]
        {
            e => e.PrevHash = new string('1', 64),
            e => e.Id = Guid.Empty,
            e => e.EventType = "delete-cmek",
            e => e.ActorType = "user",
            e => e.ActorId = null,
            e => e.ActorName = "billing-servicE",
            e => e.ProjectId = null,
            e => e.KeyId = null,
            e => e.IpAddress = "10.0.0.8",
            e => e.UserAgent = null,
            e => e.Outcome = "failure",
            e => e.CreatedAt = e.CreatedAt.AddMilliseconds(1),
            e => e.Metadata = new Dictionary<string, string> { ["keyName"] = "billing-data" },
            e => e.Metadata = new Dictionary<string, string> { ["keyName"] = "billing-data", ["algorithm"] = "aes-128-gcm" },
        };
        foreach (Action<AuditEvent> change in variants)
        {
            AuditEvent changed = SpecExample();
            change(changed);
            Assert.NotEqual(original, AuditHash.Compute(changed));
        }
    }

    [Fact]
    public void Null_and_empty_string_hash_differently()
    {
        AuditEvent withNull = SpecExample();
        withNull.UserAgent = null;
        AuditEvent withEmpty = SpecExample();
        withEmpty.UserAgent = "";
        Assert.NotEqual(AuditHash.Compute(withNull), AuditHash.Compute(withEmpty));
    }

    [Fact]
    public void Field_boundaries_are_unambiguous()
    {
        // "ab" + "c" and "a" + "bc" must not collide: every field is length-prefixed.
        AuditEvent left = SpecExample();
        left.ActorName = "ab";
        left.IpAddress = "c";
        AuditEvent right = SpecExample();
        right.ActorName = "a";
        right.IpAddress = "bc";
        Assert.NotEqual(AuditHash.Compute(left), AuditHash.Compute(right));
    }

    [Fact]
    public void Timestamps_are_truncated_not_rounded()
    {
        var time = new DateTime(2025, 3, 14, 9, 26, 53, 589, DateTimeKind.Utc).AddTicks(9999);
        Assert.Equal("2025-03-14T09:26:53.589Z", AuditHash.FormatTime(AuditHash.TruncateToMilliseconds(time)));
    }
}
