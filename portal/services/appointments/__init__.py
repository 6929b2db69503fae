"""Appointments: opening hours and open slots (`hours`, `slots`), booking, rescheduling and cancelling
(`booking`), how a visit reads (`visits`), the staff schedule (`staff`) and the admins' set-up (`setup`)."""
