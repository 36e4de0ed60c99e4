//! `clock_*` and `random_get`: each backed by a grant, `ENOSYS` without it.

use capsa_kernel::ClockId;

use super::SysResult;
use crate::ctx::WasiCtx;
use crate::errno::Errno;
use crate::memory::GuestMemory;

/// Decodes a preview1 clock id.
pub(super) fn clock_id(raw: u32) -> Result<ClockId, Errno> {
    match raw {
        0 => Ok(ClockId::Realtime),
        1 => Ok(ClockId::Monotonic),
        2 => Ok(ClockId::ProcessCpuTime),
        3 => Ok(ClockId::ThreadCpuTime),
        _ => Err(Errno::Inval),
    }
}

/// `clock_res_get(id) -> timestamp`. ENOSYS without the clock grant.
pub fn clock_res_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, id: u32, out: u32) -> SysResult<()> {
    let res = ctx.kernel.clock_resolution(clock_id(id)?)?;
    mem.write_u64(out, res)?;
    Ok(())
}

/// `clock_time_get(id, precision) -> timestamp`. ENOSYS without the clock grant.
pub fn clock_time_get(
    ctx: &mut WasiCtx,
    mem: &mut GuestMemory<'_>,
    id: u32,
    _precision: u64,
    out: u32,
) -> SysResult<()> {
    let now = ctx.kernel.clock_time(clock_id(id)?)?;
    mem.write_u64(out, now)?;
    Ok(())
}

/// `random_get(buf, len)`: host entropy straight into guest memory. ENOSYS
/// without the entropy grant.
pub fn random_get(ctx: &mut WasiCtx, mem: &mut GuestMemory<'_>, buf: u32, len: u32) -> SysResult<()> {
    let target = mem.slice_mut(buf, len)?;
    ctx.kernel.random_fill(target)?;
    Ok(())
}
