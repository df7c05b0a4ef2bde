using System.Globalization;

namespace Autonomy.Gateway.Apis;

/// <summary>Every list: <c>{"items":[...],"nextCursor":...}</c>.</summary>
public sealed record ItemsResponse<T>(IReadOnlyList<T> Items, string? NextCursor);

/// <summary>
/// The one paging rule of every list endpoint: <c>limit</c> runs from 1 to <see cref="MaxLimit"/>, defaults to
/// <see cref="DefaultLimit"/>, and a larger value is clamped to the maximum; 0, a negative or a non-number is a 400.
/// </summary>
public static class Lists
{
    public const int DefaultLimit = 50;

    public const int MaxLimit = 500;
}

/// <summary>
/// A page of a list the gateway holds whole (configuration history, catalog, triggers): the cursor is the
/// offset of the next item, opaque to callers.
/// </summary>
public readonly record struct ListPage(int Limit, int Offset)
{
    public ItemsResponse<T> Of<T>(IEnumerable<T> items)
    {
        var page = items.Skip(Offset).Take(Limit + 1).ToList();
        return page.Count > Limit
            ? new ItemsResponse<T>(page.Take(Limit).ToList(), (Offset + Limit).ToString(CultureInfo.InvariantCulture))
            : new ItemsResponse<T>(page, null);
    }
}
