using InfisicalKms.Core.Organizations;

namespace InfisicalKms.Core.Identities;

/// <summary>A machine identity (spec §8.7): it logs in with Universal Auth or holds the bootstrap token.</summary>
public sealed class MachineIdentity
{
    public Guid Id { get; set; }

    public Guid OrganizationId { get; set; }

    public required string Name { get; set; }

    public OrgRole OrgRole { get; set; }

    /// <summary>True for the bootstrap identity, whose auth method is a non-expiring token.</summary>
    public bool HasTokenAuth { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime UpdatedAt { get; set; }
}
