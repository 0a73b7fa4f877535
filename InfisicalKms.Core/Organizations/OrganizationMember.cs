namespace InfisicalKms.Core.Organizations;

/// <summary>A user of an organization as the members list shows it; no credential of any kind.</summary>
public sealed record OrganizationMember(Guid Id, string Email, OrgRole Role, DateTime CreatedAt, bool MustChangePassword)
{
    public static OrganizationMember From(KmsUser user) => new(user.Id, user.Email ?? "", user.OrgRole, user.CreatedAt, user.MustChangePassword);
}

/// <summary>A new user and the one-time password they sign in with once: the only time it exists outside its hash.</summary>
public sealed record InvitedUser(OrganizationMember User, string OneTimePassword)
{
    public override string ToString() => $"InvitedUser({User.Id})";   // never the password
}
