namespace InfisicalKms.Web.Api.Contracts;

/// <summary>A string member that takes the wire names of <typeparamref name="TEnum"/> (spec §5), documented as an OpenAPI enum.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class WireEnumAttribute<TEnum> : Attribute
    where TEnum : struct, Enum;

/// <summary>A standard base64 member (spec §1.4) of at most <paramref name="maxBytes"/> decoded bytes (spec §4.5).</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class Base64Attribute(int maxBytes, int minBytes = 0) : Attribute
{
    public int MaxBytes { get; } = maxBytes;

    public int MinBytes { get; } = minBytes;
}

/// <summary>A slug member (spec §4.2): lowercase letters, digits and single hyphens, <paramref name="min"/>–<paramref name="max"/> long.</summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class SlugAttribute(int min, int max) : Attribute
{
    public const string Pattern = "^[a-z0-9]+(-[a-z0-9]+)*$";

    public int Min { get; } = min;

    public int Max { get; } = max;
}
