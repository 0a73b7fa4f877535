using InfisicalKms.Core.Audit;

namespace InfisicalKms.Web.Components.Pages.Audit;

/// <summary>Reads a whole chain, or all of a filter, through the paged query (spec §10.7.1 serves at most 100 records a call).</summary>
public static class AuditLogReader
{
    public const int MaxPageSize = 100;

    /// <summary>Every record <paramref name="query"/> selects, newest first, each once.</summary>
    /// <remarks>
    /// Pages are newest first, so a record written while reading shifts the later pages by one and the first
    /// record of the next page repeats the last of this one: records already read are skipped.
    /// </remarks>
    public static async Task<IReadOnlyList<AuditEvent>> ReadAllAsync(AuditLogSource source, AuditQuery query, CancellationToken ct)
    {
        var records = new List<AuditEvent>();
        var seen = new HashSet<Guid>();
        for (int offset = 0; ; offset += MaxPageSize)
        {
            AuditPage page = await source.QueryAsync(query with { Offset = offset, Limit = MaxPageSize }, ct);
            records.AddRange(page.Events.Where(r => seen.Add(r.Id)));
            if (page.Events.Count < MaxPageSize)
            {
                return records;
            }
        }
    }

    /// <summary>One record of the chain by ID, whatever the filters; null once retention has removed it.</summary>
    public static async Task<AuditEvent?> FindAsync(AuditLogSource source, Guid id, CancellationToken ct)
    {
        for (int offset = 0; ; offset += MaxPageSize)
        {
            AuditPage page = await source.QueryAsync(new AuditQuery(offset, MaxPageSize), ct);
            if (page.Events.FirstOrDefault(r => r.Id == id) is { } found)
            {
                return found;
            }

            if (page.Events.Count < MaxPageSize)
            {
                return null;
            }
        }
    }
}
