using Autonomy.Learning;

namespace Autonomy.Sellers;

/// <summary>The active ranking model, which orders the needs-input queue; fetched from the tenant's ranking grain only when its version changed.</summary>
public sealed partial class SellerGrain
{
    private (string? Version, RankingModel? Model) _rankingModel;

    private async Task<RankingModel?> ActiveRankingAsync()
    {
        var active = await GrainFactory.GetGrain<IRankingGrain>(Key.TenantId).GetActiveAsync(_rankingModel.Version);
        if (active.Changed)
        {
            _rankingModel = (active.Pointer.Version, active.Model);
        }

        return _rankingModel.Model;
    }
}
